package spec

import (
	"fmt"
	"regexp"
	"sync"
)

// VolumeType is the Type of a parsed -v or --mount that names a volume
// (Source the name, "" for a new anonymous one) until package volumes
// resolves it into a bind mount of the volume's directory.
const VolumeType = "volume"

// Options of parsed mounts that are urun's, not mount(2)'s: package
// volumes takes them out when it resolves the mounts.
const (
	// OptionNoCopy: a new volume does not get the content of the image's
	// directory it is mounted over (-v NAME:DIR:nocopy, volume-nocopy).
	OptionNoCopy = "nocopy"
	// OptionChown: the source is given to the container's user (-v …:U).
	OptionChown = "U"
	// VolumeOptPrefix starts a --mount volume-opt=KEY=VALUE.
	VolumeOptPrefix = "volume-opt="
)

// validVolumeName is Docker's rule for volume names.
// It is compiled on first use, so that no urun start pays for it.
var validVolumeName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// CheckVolumeName refuses what Docker refuses as a volume name; a name
// must never reach the file system as a path.
func CheckVolumeName(name string) error {
	if !validVolumeName().MatchString(name) {
		return fmt.Errorf("invalid volume name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters", name)
	}
	return nil
}

// VolumeMount is what a container's init does to one of its volumes
// before it mounts them: the first time, copy the image's content in or
// give the volume to the container's user; with Chown, give the whole
// source to the container's user at each start. It is kept in the
// container's record.
type VolumeMount struct {
	// Name is the volume's name; "" for a host directory (Chown only).
	Name string `json:"name,omitempty"`
	// Anonymous: the volume was made for this container (-v DIR, VOLUME,
	// --mount without source), and `rm -v` removes it.
	Anonymous bool `json:"anonymous,omitempty"`
	// Inherited: from --volumes-from; the container that made it owns it.
	Inherited   bool   `json:"inherited,omitempty"`
	Destination string `json:"destination"`
	// Source is what is mounted: the volume's data directory.
	Source string `json:"source"`
	// Dir is the volume's own directory, which holds its lock and the
	// mark that it was set up; "" when there is nothing to set up.
	Dir      string `json:"dir,omitempty"`
	NoCopy   bool   `json:"no_copy,omitempty"`
	Chown    bool   `json:"chown,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
}
