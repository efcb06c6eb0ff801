package testbed

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteRootfs(t *testing.T) {
	l1, err := buildLayer([]entry{
		dir("bin/", 0o755),
		{name: "bin/tool", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"},
		{name: "bin/alias", typ: tar.TypeSymlink, mode: 0o777, link: "tool"},
		dir("etc/", 0o755),
		file("etc/gone", "removed by layer 2\n"),
		file("etc/replaced", "old\n"),
		dir("opq/", 0o755),
		file("opq/lower", "hidden by the opaque whiteout\n"),
		dir("ro/", 0o555),
		file("ro/inside", "in a read-only directory\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := buildLayer([]entry{
		dir("etc/", 0o755),
		file("etc/.wh.gone", ""),
		file("etc/replaced", "new\n"),
		dir("opq/", 0o700),
		file("opq/.wh..wh..opq", ""),
		file("opq/upper", "kept\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := assemble("test/rootfs", "latest", []layer{l1, l2}, runConfig{})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	if err := img.WriteRootfs(root); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(root, "ro"), 0o755) })

	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	absent := func(rel string) {
		t.Helper()
		if _, err := os.Lstat(filepath.Join(root, rel)); !os.IsNotExist(err) {
			t.Errorf("%s: want it absent, Lstat says %v", rel, err)
		}
	}
	mode := func(rel string, want os.FileMode) {
		t.Helper()
		st, err := os.Lstat(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", rel, st.Mode().Perm(), want)
		}
	}
	if got := read("etc/replaced"); got != "new\n" {
		t.Errorf("etc/replaced = %q, want the upper layer's", got)
	}
	absent("etc/gone")
	absent("etc/.wh.gone")
	absent("opq/lower")
	absent("opq/.wh..wh..opq")
	if got := read("opq/upper"); got != "kept\n" {
		t.Errorf("opq/upper = %q", got)
	}
	if got, err := os.Readlink(filepath.Join(root, "bin/alias")); err != nil || got != "tool" {
		t.Errorf("bin/alias -> %q, %v; want tool", got, err)
	}
	read("ro/inside")
	mode("bin/tool", 0o755)
	mode("etc/replaced", 0o644)
	mode("ro", 0o555)
	mode("opq", 0o700)
}

func TestWriteRootfsRejectsEscapes(t *testing.T) {
	l, err := buildLayer([]entry{file("../outside", "no\n")})
	if err != nil {
		t.Fatal(err)
	}
	img, err := assemble("test/escape", "latest", []layer{l}, runConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := img.WriteRootfs(filepath.Join(dir, "rootfs")); err == nil {
		t.Fatal("an entry ../outside was accepted")
	}
	if _, err := os.Lstat(filepath.Join(dir, "outside")); !os.IsNotExist(err) {
		t.Errorf("../outside was written: %v", err)
	}
}
