package local

import "strings"

// Familiar is the short form of a normalized image name in which Docker
// shows it: "docker.io/library/alpine:latest" → "alpine:latest",
// "docker.io/user/app" → "user/app"; names of other registries stay as
// they are ("localhost:5000/foo:v1"). As Normalize, it needs no regular
// expressions.
func Familiar(name string) string {
	rest, ok := strings.CutPrefix(name, DefaultRegistry+"/")
	if !ok {
		return name
	}
	if short, ok := strings.CutPrefix(rest, "library/"); ok {
		repo, _, _ := strings.Cut(short, "@")
		if i := strings.LastIndexByte(repo, ':'); i >= 0 {
			repo = repo[:i]
		}
		if !strings.Contains(repo, "/") {
			return short
		}
	}
	return rest
}
