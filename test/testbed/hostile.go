package testbed

import (
	"archive/tar"
	"bytes"
	"fmt"
	"strings"
)

// A hostile layer is a layer tarball that tries to write outside the
// directory it is unpacked in: `../` and absolute paths, writes through
// symlinks it planted, hardlinks to files outside, device nodes,
// whiteouts aimed outside. HostileLayers builds the table against
// sentinel directories a test plants; whatever unpacks layers (pull,
// load, import) must refuse each one or neutralise it, and leave the
// sentinels as they were.

// SentinelFile is the file a test plants in each sentinel directory, with
// SentinelBody; the hostile layers try to overwrite, delete or link it,
// and to create Pwned beside it.
const (
	SentinelFile = "canary"
	SentinelBody = "canary\n"
	Pwned        = "pwned"
)

// HostileTargets are the sentinel directories the layers aim at.
type HostileTargets struct {
	// Home and Tmp are absolute directories outside the store (say under
	// the user's home and under /tmp).
	Home, Tmp string
	// Rel leads from the directory a layer is unpacked in to a sentinel
	// directory beside the store, e.g. "../../../../sentinel" from the
	// overlay driver's GRAPHROOT/overlay/ID/diff.
	Rel string
}

// HostileEntry is one entry of a hostile layer's tar.
type HostileEntry struct {
	Name         string
	Type         byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink, TypeChar, TypeBlock...
	Mode         int64
	Link         string // symlink target or hardlink source
	Body         string
	Major, Minor int64
}

// HostileLayer is one row of the table.
type HostileLayer struct {
	Name    string // short, usable as a tag
	Why     string // the attack
	Entries []HostileEntry
}

func hReg(name string) HostileEntry {
	return HostileEntry{Name: name, Type: tar.TypeReg, Mode: 0o644, Body: Pwned + "\n"}
}
func hSym(name, target string) HostileEntry {
	return HostileEntry{Name: name, Type: tar.TypeSymlink, Mode: 0o777, Link: target}
}
func hLink(name, target string) HostileEntry {
	return HostileEntry{Name: name, Type: tar.TypeLink, Mode: 0o644, Link: target}
}

// deep climbs far above any directory, then descends to abs.
func deep(abs string) string { return strings.Repeat("../", 40) + strings.TrimPrefix(abs, "/") }

// HostileLayers is the table of hostile layers aimed at t.
func HostileLayers(t HostileTargets) []HostileLayer {
	in := func(dir, name string) string { return dir + "/" + name }
	return []HostileLayer{
		{"dotdot", "../ climbing to a directory beside the store", []HostileEntry{hReg(in(t.Rel, Pwned))}},
		{"dotdot-store", "../ climbing into the store's own directories", []HostileEntry{hReg("../" + Pwned), hReg("../../" + Pwned), hReg("../../../" + Pwned)}},
		{"dotdot-deep", "../ climbing to / and down to the user's home", []HostileEntry{hReg(deep(in(t.Home, Pwned)))}},
		{"absolute", "absolute paths", []HostileEntry{hReg(in(t.Home, Pwned)), hReg(in(t.Tmp, SentinelFile))}},
		{"symlink-abs", "a symlink to an absolute directory outside, then files and directories through it", []HostileEntry{
			hSym("escape", t.Tmp), hReg("escape/" + Pwned), {Name: "escape/newdir/", Type: tar.TypeDir, Mode: 0o755}, hReg("escape/" + SentinelFile),
		}},
		{"symlink-rel", "a relative symlink climbing out, then a file through it", []HostileEntry{hSym("up", t.Rel), hReg("up/" + Pwned)}},
		{"symlink-deep", "a symlink climbing to / and down to the home, then a file through it", []HostileEntry{hSym("up", deep(t.Home)), hReg("up/" + Pwned)}},
		{"symlink-chain", "a symlink to a symlink to outside, then a file through both", []HostileEntry{hSym("a", "b"), hSym("b", t.Home), hReg("a/" + Pwned)}},
		{"symlink-nested", "a directory entry, then a symlink inside it climbing out, then a file", []HostileEntry{
			{Name: "d/", Type: tar.TypeDir, Mode: 0o755}, hSym("d/up", "../"+t.Rel), hReg("d/up/" + Pwned),
		}},
		{"hardlink-abs", "a hardlink to an absolute path outside", []HostileEntry{hLink("hl", in(t.Home, SentinelFile))}},
		{"hardlink-rel", "a hardlink climbing out with ../", []HostileEntry{hLink("hl", in(t.Rel, SentinelFile))}},
		{"hardlink-via-symlink", "a symlink to outside, then a hardlink through it", []HostileEntry{hSym("s", t.Tmp), hLink("hl", "s/"+SentinelFile)}},
		{"whiteout-out", "whiteouts aimed at files outside, by ../ and through a symlink", []HostileEntry{
			hReg(in(t.Rel, ".wh."+SentinelFile)), hSym("escape", t.Home), hReg("escape/.wh." + SentinelFile), hReg("escape/.wh..wh..opq"),
		}},
		{"devices", "character and block device nodes (memory, a disk)", []HostileEntry{
			{Name: "evil/", Type: tar.TypeDir, Mode: 0o755},
			{Name: "evil/mem", Type: tar.TypeChar, Mode: 0o666, Major: 1, Minor: 1},
			{Name: "evil/sda", Type: tar.TypeBlock, Mode: 0o666, Major: 8, Minor: 0},
		}},
		{"setuid", "a setuid-root and a setgid file", []HostileEntry{
			{Name: "usr/", Type: tar.TypeDir, Mode: 0o755},
			{Name: "usr/suid", Type: tar.TypeReg, Mode: 0o4755, Body: "#!/bin/sh\nid\n"},
			{Name: "usr/sgid", Type: tar.TypeReg, Mode: 0o2755, Body: "#!/bin/sh\nid\n"},
		}},
	}
}

// Tar is the layer's uncompressed tarball, entries as given: no cleaning
// of names, which is the point.
func (h HostileLayer) Tar() ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range h.Entries {
		hdr := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Type,
			Mode:     e.Mode,
			Linkname: e.Link,
			Devmajor: e.Major,
			Devminor: e.Minor,
			ModTime:  fixtureTime,
			Format:   tar.FormatPAX,
		}
		if e.Type == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("hostile layer %s: %s: %w", h.Name, e.Name, err)
		}
		if e.Type == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// HostileImage is base with h as a last, gzipped layer, as REPO:h.Name.
func HostileImage(base *Image, repo string, h HostileLayer) (*Image, error) {
	raw, err := h.Tar()
	if err != nil {
		return nil, err
	}
	v, err := buildVariant(repo, h.Name, base, [][]byte{raw}, ociGzip, MediaTypeManifest, MediaTypeConfig, HostPlatform(), "")
	if err != nil {
		return nil, fmt.Errorf("hostile layer %s: %w", h.Name, err)
	}
	return v.Image, nil
}
