package layertar

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// makeTree creates entries under dir: "d/" a directory, "f=TEXT" a file,
// "x!" a whiteout device (the test is skipped where it cannot be made),
// "o/+" the opaque mark of directory o as a ".wh..wh..opq" file.
func makeTree(t *testing.T, dir string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e, "/+"):
			p := filepath.Join(dir, strings.TrimSuffix(e, "/+"))
			mustDo(t, os.MkdirAll(p, 0o755))
			mustDo(t, os.WriteFile(filepath.Join(p, OpaqueWhiteout), nil, 0o644))
		case strings.HasSuffix(e, "/"):
			mustDo(t, os.MkdirAll(filepath.Join(dir, e), 0o755))
		case strings.HasSuffix(e, "!"):
			p := filepath.Join(dir, strings.TrimSuffix(e, "!"))
			mustDo(t, os.MkdirAll(filepath.Dir(p), 0o755))
			if err := unix.Mknod(p, unix.S_IFCHR|0o000, 0); err != nil {
				t.Skipf("cannot make a whiteout device here: %v", err)
			}
		default:
			name, body, _ := strings.Cut(e, "=")
			p := filepath.Join(dir, name)
			mustDo(t, os.MkdirAll(filepath.Dir(p), 0o755))
			mustDo(t, os.WriteFile(p, []byte(body), 0o644))
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// image is the layers below the container in these tests: the base, and a
// second layer that deletes etc/deleteme and replaces var.
var image = [][]string{
	{"var/+", "var/new=new", "etc/deleteme!"},
	{"bin/sh=sh", "etc/passwd=root", "etc/group=root", "etc/hosts=127.0.0.1 localhost", "etc/deleteme=x", "var/old=old", "opt/tool/run=run", "usr/lib/"},
}

func imageLayers(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, entries := range image {
		d := t.TempDir()
		makeTree(t, d, entries...)
		dirs = append(dirs, d)
	}
	return dirs
}

func TestDiffShowsWhatAContainerChanged(t *testing.T) {
	tests := []struct {
		name  string
		upper []string
		want  []string
	}{
		{"nothing changed", nil, nil},
		{"a file of the image edited", []string{"etc/passwd=root\nuser"}, []string{"C /etc", "C /etc/passwd"}},
		{"a file created in a new directory", []string{"srv/app/data=1"}, []string{"A /srv", "A /srv/app", "A /srv/app/data"}},
		{"a file removed", []string{"etc/passwd!"}, []string{"C /etc", "D /etc/passwd"}},
		{"a directory removed with fuse-overlayfs", []string{"opt/.wh.tool=", "opt/"}, []string{"C /opt", "D /opt/tool"}},
		{"a directory emptied and filled again", []string{"var/+", "var/mine=1"}, []string{"C /var", "A /var/mine"}},
		{"a file created where another layer deleted one", []string{"etc/deleteme=back"}, []string{"C /etc", "A /etc/deleteme"}},
		{"a file created in a directory a layer emptied", []string{"var/old=back"}, []string{"C /var", "A /var/old"}},
		{"a directory's mode changed", []string{"usr/lib/"}, []string{"C /usr", "C /usr/lib"}},
		{"files listed depth first", []string{"etc/a.txt=1", "etc/a/b=2", "etc/a-b=3"}, []string{"C /etc", "A /etc/a", "A /etc/a/b", "A /etc/a-b", "A /etc/a.txt"}},
		{"urun's own mount points left out", []string{"etc/hostname=", "etc/hosts=", "proc/"}, nil},
		{"urun's own mount points copied up left out", []string{"etc/hosts=127.0.0.1 localhost"}, nil},
		{"a file changed beside urun's mount points", []string{"etc/hosts=127.0.0.1 me", "etc/hostname=", "etc/new=1"}, []string{"C /etc", "A /etc/new"}},
		{"a mount point directory with files shown", []string{"proc/x=1"}, []string{"A /proc", "A /proc/x"}},
		{"a directory emptied and filled again with fuse-overlayfs", []string{"var/+", "var/.wh..opq!", "var/mine=1"}, []string{"C /var", "A /var/mine"}},
		{"urun's own mount points with fuse-overlayfs's opaque marks left out", []string{"proc/+", "proc/.wh..opq!", "dev/+", "dev/.wh..opq!"}, nil},
	}
	lower := imageLayers(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upper := t.TempDir()
			makeTree(t, upper, tt.upper...)
			changes, err := Changes(upper, Below(lower), "etc/hostname", "etc/hosts", "etc/resolv.conf", "proc", "sys", "dev")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestBelowSeesTheImageAsAContainerDoes(t *testing.T) {
	lower := imageLayers(t)
	below := Below(lower)
	tests := []struct {
		path string
		want bool
	}{
		{"etc/passwd", true},
		{"etc", true},
		{"etc/deleteme", false},
		{"var/new", true},
		{"var/old", false},
		{"opt/tool/run", true},
		{"bin/sh/x", false},
		{"nosuch", false},
		{"etc/nosuch", false},
	}
	for _, tt := range tests {
		if got := below(tt.path); got != tt.want {
			t.Errorf("below(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestAnOpaqueXattrHidesTheLowerDirectory(t *testing.T) {
	top, base := t.TempDir(), t.TempDir()
	makeTree(t, base, "data/old=1")
	makeTree(t, top, "data/new=1")
	if err := unix.Lsetxattr(filepath.Join(top, "data"), "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
	below := Below([]string{top, base})
	if below("data/old") || !below("data/new") {
		t.Errorf("data/old seen %v (want false), data/new seen %v (want true)", below("data/old"), below("data/new"))
	}
}

// A container on fuse-overlayfs whose directory was emptied: its upper
// directory has fuse-overlayfs's ".wh..opq" device beside the
// ".wh..wh..opq" file, and the layer says it once (`urun commit` of such a
// container failed on "duplicates of file paths").
func TestALayerOfFuseOverlayfsSaysAnOpaqueDirectoryOnce(t *testing.T) {
	upper := t.TempDir()
	makeTree(t, upper, "var/+", "var/.wh..opq!", "var/mine=1", "etc/gone!")
	// and the opaque xattr, where the file system takes user.* xattrs
	unix.Setxattr(filepath.Join(upper, "var"), "user.fuseoverlayfs.opaque", []byte("y"), 0)
	var buf bytes.Buffer
	if _, err := Write(&buf, upper); err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
	want := []string{"etc/", "etc/.wh.gone", "var/", "var/.wh..wh..opq", "var/mine"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("the layer holds %q, want %q", names, want)
	}
}
