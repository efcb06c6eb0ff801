package testbed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestParseLdd(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffd1a1f0000)\n" +
		"\tlibiperf.so.0 => /lib/x86_64-linux-gnu/libiperf.so.0 (0x00007f2e624f1000)\n" +
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2e6230f000)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f2e6253a000)\n"
	got, err := parseLdd(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/x86_64-linux-gnu/libiperf.so.0", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if len(got) != len(want) {
		t.Fatalf("parseLdd = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("parseLdd[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := parseLdd("\tlibgone.so.1 => not found\n"); err == nil {
		t.Error("a library ldd does not find is not an error")
	}
	if got, err := parseLdd("\tstatically linked\n"); err != nil || len(got) != 0 {
		t.Errorf("statically linked: %q, %v", got, err)
	}
}

// Derive copies a dynamically linked program (this test binary) with its
// loader and libraries on top of the base image's layers.
func TestDeriveCopiesProgramAndLibraries(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	libs, err := SharedLibraries(self)
	if err != nil {
		t.Fatal(err)
	}
	l, err := buildLayer([]entry{dir("etc/", 0o755), file("etc/base", "base\n")})
	if err != nil {
		t.Fatal(err)
	}
	base, err := assemble("test/base", "latest", []layer{l}, runConfig{Env: []string{FixturePath}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := Derive(base, DeriveOptions{
		Repo: "test/derived", Tag: "latest",
		Programs:     []HostProgram{{Source: self, Target: "/usr/bin/prog"}},
		ExposedPorts: []string{"80/tcp"},
		Env:          []string{"EXTRA=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Layers) != 2 || img.Layers[0].Digest != base.Layers[0].Digest {
		t.Fatalf("want the base layer then one more, got %d layers", len(img.Layers))
	}
	var cfg struct {
		Config runConfig `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(img.Config.Data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.RootFS.DiffIDs) != 2 || cfg.RootFS.DiffIDs[0] != base.diffIDs[0] {
		t.Errorf("diff_ids %q", cfg.RootFS.DiffIDs)
	}
	if _, ok := cfg.Config.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("ExposedPorts %v", cfg.Config.ExposedPorts)
	}
	if len(cfg.Config.Env) != 2 || cfg.Config.Env[1] != "EXTRA=1" {
		t.Errorf("Env %q", cfg.Config.Env)
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	if err := img.WriteRootfs(root); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(root, "usr/bin/prog"))
	if err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Errorf("usr/bin/prog: %v, %v", st, err)
	}
	if len(libs) == 0 {
		t.Log("this test binary is statically linked: no libraries to check")
	}
	for _, l := range libs {
		if _, err := os.Stat(filepath.Join(root, l)); err != nil {
			t.Errorf("library %s: %v", l, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/base")); err != nil {
		t.Errorf("the base layer's file: %v", err)
	}
}
