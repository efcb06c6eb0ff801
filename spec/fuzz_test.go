package spec

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/image/local"
)

// checkParsedMount holds for every mount a parser accepts: the container
// path is absolute, clean, not / and not in /proc or /dev itself, and a
// bind has an absolute, clean host path.
func checkParsedMount(t *testing.T, in string, m specs.Mount) {
	t.Helper()
	d := m.Destination
	if !path.IsAbs(d) || path.Clean(d) != d || d == "/" || d == "/dev" || d == "/proc" || strings.HasPrefix(d, "/proc/") {
		t.Fatalf("%q: accepted the container path %q", in, d)
	}
	if m.Type == "bind" && (!path.IsAbs(m.Source) || path.Clean(m.Source) != m.Source) {
		t.Fatalf("%q: accepted the host path %q", in, m.Source)
	}
	// A volume's name becomes a directory's: never a path.
	if m.Type == VolumeType && m.Source != "" && (CheckVolumeName(m.Source) != nil || strings.ContainsAny(m.Source, "/\x00")) {
		t.Fatalf("%q: accepted the volume name %q", in, m.Source)
	}
}

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/a:/b", "/a:/b:ro", "/a:/b:rw,z", "/a:/proc/x", "/a:/tmp/../", "a:/b", "/a:/b:ro:x", ":", "/a::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if m, err := ParseVolume(v); err == nil {
			checkParsedMount(t, v, m)
		}
	})
}

func FuzzParseMount(f *testing.F) {
	for _, s := range []string{"type=bind,src=/a,dst=/b", "type=tmpfs,target=/run,tmpfs-size=1m", "type=bind,source=/a,target=/b,readonly=true", "type=volume,dst=/x", "type=bind,src=/a,dst=/proc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if m, err := ParseMount(v); err == nil {
			checkParsedMount(t, v, m)
		}
	})
}

func FuzzParseTmpfs(f *testing.F) {
	for _, s := range []string{"/run", "/run:size=1m,mode=1777", "/run:exec", "run", "/dev"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if m, err := ParseTmpfs(v); err == nil {
			checkParsedMount(t, v, m)
		}
	})
}

// Security options and capabilities: whatever is accepted yields only
// capabilities the kernel table knows and clean absolute masked paths.
func FuzzSecurityOptions(f *testing.F) {
	f.Add("net_admin", "ALL", "mask=/a:/b")
	f.Add("ALL", "", "unmask=ALL")
	f.Add("cap_chown,kill", "chown", "no-new-privileges=false")
	f.Fuzz(func(t *testing.T, add, drop, opt string) {
		c, err := Security{CapAdd: []string{add}, CapDrop: []string{drop}, Opts: []string{opt}}.resolve()
		if err != nil {
			return
		}
		for _, name := range c.caps {
			if _, ok := CapabilityNumber(name); !ok {
				t.Fatalf("accepted unknown capability %q", name)
			}
		}
		for _, p := range append(c.masked, c.readonly...) {
			if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
				t.Fatalf("accepted the path %q", p)
			}
		}
	})
}

// Whatever configuration an image carries, a spec built from it has a
// command, an absolute working directory and a PATH.
func FuzzBuildFromImageConfig(f *testing.F) {
	f.Add(`{"config":{"Cmd":["sh"],"Env":["PATH=/bin"],"WorkingDir":"/w","User":"app"}}`)
	f.Add(`{"config":{"Entrypoint":["/e"],"Cmd":null,"Env":["A"],"WorkingDir":"rel"}}`)
	f.Add(`{"config":{}}`)
	f.Fuzz(func(t *testing.T, configJSON string) {
		var img local.Image
		if err := json.Unmarshal([]byte(configJSON), &img.Config); err != nil {
			return
		}
		s, err := Build("0123456789abcdef", &img, Options{}, func(string) (string, bool) { return "", false })
		if err != nil {
			return
		}
		if len(s.Process.Args) == 0 || !path.IsAbs(s.Process.Cwd) {
			t.Fatalf("%s: args %q, cwd %q", configJSON, s.Process.Args, s.Process.Cwd)
		}
		if !slices.ContainsFunc(s.Process.Env, func(e string) bool { return strings.HasPrefix(e, "PATH=") }) {
			t.Fatalf("%s: no PATH in %q", configJSON, s.Process.Env)
		}
	})
}
