package testbed

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The fixture images, built here from the host's static busybox
// (Debian's busybox-static puts it at /bin/busybox):
//
// library/busybox:latest
//
//	layer 1: /bin/busybox and a symlink /bin/APPLET -> busybox for every
//	         applet it lists; /etc/passwd (root 0, app 1000 home /home/app,
//	         nobody 65534); /etc/group (root 0, app 1000, extra 1001 with
//	         member app, nobody 65534); /etc/deleteme; directories /tmp
//	         (1777), /home/app (1000:1000), /proc, /sys, /dev, /root (0700)
//	layer 2: whiteout etc/.wh.deleteme and a new file /etc/layer2 ("layer2")
//	config:  Env PATH=/usr/sbin:/usr/bin:/sbin:/bin FIXTURE=busybox, Cmd sh
//
// test/app:latest
//
//	layers 1 and 2 as above, then
//	layer 3: /etc/app-release ("app 1"), /home/app/hello.txt (1000:1000)
//	config:  User app, WorkingDir /home/app/work (in no layer), Entrypoint
//	         /bin/echo entry, Cmd default-arg, Env PATH=… FIXTURE=app APP_ENV=1
//
// Derive builds more on top of library/busybox, each with one layer of
// host programs and the libraries they load: the suite's test/nethelper
// (the suite binary itself, a UDP server busybox lacks) and the
// benchmark's test/iperf3.
const (
	FixturePath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
	Layer2Body  = "layer2\n"
	HelloBody   = "hello from the app layer\n"

	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// RequiredApplets are the commands the tests run inside containers.
var RequiredApplets = []string{
	"sh", "id", "cat", "ls", "echo", "hostname", "ps", "mount", "touch", "rm",
	"sleep", "true", "false", "env", "pwd", "stat", "readlink", "wc", "grep",
	"head", "tty", "stty", "sha256sum", "test", "mkdir", "kill", "printf",
	// The networking tests and the benchmark: a web server with CGI, a TCP
	// client, addresses and routes.
	"httpd", "nc", "chmod", "ip", "timeout", "awk",
}

var fixtureTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Blob is one blob of an image: its bytes and their digest.
type Blob struct {
	MediaType string
	Data      []byte
	Digest    string // sha256:HEX of Data
}

func newBlob(mediaType string, data []byte) Blob {
	return Blob{MediaType: mediaType, Data: data, Digest: sha256Digest(data)}
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Image is a fixture image: an OCI manifest, its config and its gzipped
// layers, ready to push (Registry.Push) or to unpack (WriteRootfs).
type Image struct {
	Repo, Tag string
	Config    Blob
	Layers    []Blob // bottom first
	Manifest  []byte
	Digest    string // of Manifest

	// What Derive builds on: the layers' uncompressed digests and the
	// run configuration.
	diffIDs []string
	config  runConfig
}

// Name is REPO:TAG.
func (img *Image) Name() string { return img.Repo + ":" + img.Tag }

// Fixtures are the images BuildFixtures builds.
type Fixtures struct {
	Busybox *Image // library/busybox:latest
	App     *Image // test/app:latest
}

// All lists the fixtures, Busybox first.
func (f *Fixtures) All() []*Image { return []*Image{f.Busybox, f.App} }

// layer is a layer's blob and its uncompressed digest (the config's diff_id).
type layer struct {
	blob   Blob
	diffID string
}

type entry struct {
	name     string
	typ      byte
	mode     int64
	uid, gid int
	body     string
	link     string
}

func dir(name string, mode int64) entry { return entry{name: name, typ: tar.TypeDir, mode: mode} }
func file(name, body string) entry {
	return entry{name: name, typ: tar.TypeReg, mode: 0o644, body: body}
}

func buildLayer(entries []entry) (layer, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{
			Name:     e.name,
			Typeflag: e.typ,
			Mode:     e.mode,
			Uid:      e.uid,
			Gid:      e.gid,
			Linkname: e.link,
			ModTime:  fixtureTime,
			Format:   tar.FormatPAX,
		}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return layer{}, fmt.Errorf("%s: %w", e.name, err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				return layer{}, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz) // no name, no time: the bytes depend on the content only
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return layer{}, err
	}
	if err := zw.Close(); err != nil {
		return layer{}, err
	}
	return layer{blob: newBlob(MediaTypeLayer, gz.Bytes()), diffID: sha256Digest(raw.Bytes())}, nil
}

// hostBusybox reads /bin/busybox and its applet list, refusing a
// dynamically linked one (it would fail in the fixture with "not found").
func hostBusybox() (body string, applets []string, err error) {
	const path = "/bin/busybox"
	f, err := elf.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w (install busybox-static)", path, err)
	}
	dynamic := f.Section(".interp") != nil
	f.Close()
	if dynamic {
		return "", nil, fmt.Errorf("%s is dynamically linked: install busybox-static", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	out, err := exec.Command(path, "--list").Output()
	if err != nil {
		return "", nil, fmt.Errorf("%s --list: %w", path, err)
	}
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			applets = append(applets, a)
		}
	}
	for _, a := range RequiredApplets {
		if !slices.Contains(applets, a) {
			return "", nil, fmt.Errorf("%s has no applet %q, which the tests use", path, a)
		}
	}
	slices.Sort(applets)
	return string(b), applets, nil
}

const passwd = `root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const group = `root:x:0:
app:x:1000:
extra:x:1001:app
nobody:x:65534:
`

// BuildFixtures builds the fixture images from the host's /bin/busybox
// (which must be statically linked and have RequiredApplets).
func BuildFixtures() (*Fixtures, error) {
	bb, applets, err := hostBusybox()
	if err != nil {
		return nil, err
	}
	base := []entry{
		dir("bin/", 0o755),
		{name: "bin/busybox", typ: tar.TypeReg, mode: 0o755, body: bb},
	}
	for _, a := range applets {
		base = append(base, entry{name: "bin/" + a, typ: tar.TypeSymlink, mode: 0o777, link: "busybox"})
	}
	base = append(base,
		dir("dev/", 0o755),
		dir("etc/", 0o755),
		file("etc/deleteme", "this file is deleted by layer 2\n"),
		file("etc/group", group),
		file("etc/passwd", passwd),
		dir("home/", 0o755),
		entry{name: "home/app/", typ: tar.TypeDir, mode: 0o755, uid: 1000, gid: 1000},
		dir("proc/", 0o555),
		dir("root/", 0o700),
		dir("sys/", 0o555),
		dir("tmp/", 0o1777),
	)
	l1, err := buildLayer(base)
	if err != nil {
		return nil, err
	}
	l2, err := buildLayer([]entry{
		dir("etc/", 0o755),
		file("etc/.wh.deleteme", ""),
		file("etc/layer2", Layer2Body),
	})
	if err != nil {
		return nil, err
	}
	l3, err := buildLayer([]entry{
		dir("etc/", 0o755),
		file("etc/app-release", "app 1\n"),
		dir("home/", 0o755),
		{name: "home/app/", typ: tar.TypeDir, mode: 0o755, uid: 1000, gid: 1000},
		{name: "home/app/hello.txt", typ: tar.TypeReg, mode: 0o644, uid: 1000, gid: 1000, body: HelloBody},
	})
	if err != nil {
		return nil, err
	}
	busybox, err := assemble("library/busybox", "latest", []layer{l1, l2}, runConfig{
		Env: []string{FixturePath, "FIXTURE=busybox"},
		Cmd: []string{"sh"},
	})
	if err != nil {
		return nil, err
	}
	app, err := assemble("test/app", "latest", []layer{l1, l2, l3}, runConfig{
		User:       "app",
		WorkingDir: "/home/app/work",
		Entrypoint: []string{"/bin/echo", "entry"},
		Cmd:        []string{"default-arg"},
		Env:        []string{FixturePath, "FIXTURE=app", "APP_ENV=1"},
	})
	if err != nil {
		return nil, err
	}
	return &Fixtures{Busybox: busybox, App: app}, nil
}

// runConfig is the "config" object of an OCI image configuration.
type runConfig struct {
	User         string              `json:"User,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

func describe(b Blob) descriptor {
	return descriptor{MediaType: b.MediaType, Digest: b.Digest, Size: len(b.Data)}
}

func assemble(repo, tag string, layers []layer, rc runConfig) (*Image, error) {
	type history struct {
		Created   string `json:"created"`
		CreatedBy string `json:"created_by"`
	}
	cfg := struct {
		Created      string    `json:"created"`
		Architecture string    `json:"architecture"`
		OS           string    `json:"os"`
		Config       runConfig `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []history `json:"history"`
	}{
		Created:      fixtureTime.Format(time.RFC3339),
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config:       rc,
	}
	cfg.RootFS.Type = "layers"
	img := &Image{Repo: repo, Tag: tag, config: rc}
	var descs []descriptor
	for i, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
		img.diffIDs = append(img.diffIDs, l.diffID)
		cfg.History = append(cfg.History, history{Created: cfg.Created, CreatedBy: fmt.Sprintf("urun test fixture %s layer %d", repo, i+1)})
		img.Layers = append(img.Layers, l.blob)
		descs = append(descs, describe(l.blob))
	}
	return sealImage(img, cfg, MediaTypeConfig, MediaTypeManifest, descs)
}

// sealImage adds img's configuration blob (cfg encoded) and its manifest
// of the given media types, naming the config and the layers descs.
func sealImage(img *Image, cfg any, configType, manifestType string, descs []descriptor) (*Image, error) {
	cb, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	img.Config = newBlob(configType, cb)
	mb, err := json.Marshal(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Config        descriptor   `json:"config"`
		Layers        []descriptor `json:"layers"`
	}{2, manifestType, describe(img.Config), descs})
	if err != nil {
		return nil, err
	}
	img.Manifest = mb
	img.Digest = sha256Digest(mb)
	return img, nil
}
