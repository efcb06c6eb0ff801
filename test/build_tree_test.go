package test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An image as the build tests compare it: the file system its layers make
// when applied in order (whiteouts and opaque directories included), and
// its configuration, read from an archive as `urun save` and `podman save`
// write it (docker-archive or oci-archive). It reads the archive itself,
// not with the image library urun uses, so a bug there cannot hide here.

// imageTree is an image's file system and configuration.
type imageTree struct {
	// files maps every path of the image's file system (absolute, clean,
	// "/" itself left out) to what is there.
	files map[string]treeNode
	// config is the image's configuration, decoded.
	config map[string]any
	// layers is how many layers the image has.
	layers int
}

// treeNode is one file as the comparison sees it: no times, no xattrs.
type treeNode struct {
	kind     string // file, dir, symlink, hardlink, char, block, fifo
	mode     int64  // the permission bits with setuid, setgid and sticky (07777)
	uid, gid int
	size     int64
	digest   string // a file's content (sha256, hex); a hard link's: its target's
	link     string // a symlink's target, as stored; a hard link's target path
}

func (n treeNode) String() string {
	own := fmt.Sprintf("%d:%d", n.uid, n.gid)
	switch n.kind {
	case "file":
		return fmt.Sprintf("file %04o %s %d bytes sha256:%s", n.mode, own, n.size, short(n.digest))
	case "hardlink":
		return fmt.Sprintf("hard link to %s, %04o %s %d bytes sha256:%s", n.link, n.mode, own, n.size, short(n.digest))
	case "symlink":
		return fmt.Sprintf("symlink -> %s %s", n.link, own)
	default:
		return fmt.Sprintf("%s %04o %s", n.kind, n.mode, own)
	}
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

// readImageArchive reads the image named name (a tag as the archive lists
// it, or "" for an archive of one image) from a docker-archive or an
// oci-archive, checks each layer against the configuration's diff_ids,
// and applies its layers.
func readImageArchive(archive, name string) (*imageTree, error) {
	a, err := openArchive(archive)
	if err != nil {
		return nil, err
	}
	defer a.f.Close()
	var configBytes []byte
	var layerNames []string
	switch {
	case a.has("manifest.json"):
		configBytes, layerNames, err = a.dockerImage(name)
	case a.has("index.json"):
		configBytes, layerNames, err = a.ociImage(name)
	default:
		err = errors.New("neither manifest.json (docker-archive) nor index.json (oci-archive) in it")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", archive, err)
	}
	img := &imageTree{files: map[string]treeNode{}, layers: len(layerNames)}
	if err := json.Unmarshal(configBytes, &img.config); err != nil {
		return nil, fmt.Errorf("%s: the image configuration: %w", archive, err)
	}
	var diffIDs []string
	if rootfs, ok := img.config["rootfs"].(map[string]any); ok {
		for _, d := range asSlice(rootfs["diff_ids"]) {
			s, _ := d.(string)
			diffIDs = append(diffIDs, s)
		}
	}
	if len(diffIDs) != len(layerNames) {
		return nil, fmt.Errorf("%s: %d layers, but the configuration lists %d diff_ids", archive, len(layerNames), len(diffIDs))
	}
	for i, ln := range layerNames {
		r, err := a.open(ln)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d: %w", archive, i+1, err)
		}
		diffID, err := img.apply(r)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d (%s): %w", archive, i+1, ln, err)
		}
		if diffID != diffIDs[i] {
			return nil, fmt.Errorf("%s: layer %d (%s) unpacks to %s, the configuration says %s", archive, i+1, ln, diffID, diffIDs[i])
		}
	}
	return img, nil
}

// imageArchive is an archive's file, with where each member's data is.
type imageArchive struct {
	f       *os.File
	members map[string]imageArchiveMember
}

type imageArchiveMember struct {
	offset, size int64
	link         string // a symlink's target (the legacy layer.tar links)
}

type offsetReader struct {
	r   io.Reader
	off int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.off += int64(n)
	return n, err
}

// openArchive indexes the members of a tar file: archive/tar reads no
// further than a member's header before handing out its data, so the
// offset read so far is where the data starts.
func openArchive(file string) (*imageArchive, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	a := &imageArchive{f: f, members: map[string]imageArchiveMember{}}
	or := &offsetReader{r: f}
	tr := tar.NewReader(or)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		switch h.Typeflag {
		case tar.TypeReg:
			a.members[name] = imageArchiveMember{offset: or.off, size: h.Size}
		case tar.TypeSymlink:
			a.members[name] = imageArchiveMember{link: path.Join(path.Dir(name), h.Linkname)}
		}
	}
}

func (a *imageArchive) has(name string) bool { _, ok := a.members[name]; return ok }

// open returns a member's data, following symlinks within the archive.
func (a *imageArchive) open(name string) (io.Reader, error) {
	name = path.Clean(name)
	for range 10 {
		m, ok := a.members[name]
		if !ok {
			return nil, fmt.Errorf("no %s in the archive", name)
		}
		if m.link == "" {
			return io.NewSectionReader(a.f, m.offset, m.size), nil
		}
		name = path.Clean(m.link)
	}
	return nil, fmt.Errorf("%s: too many symlinks", name)
}

func (a *imageArchive) read(name string) ([]byte, error) {
	r, err := a.open(name)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// dockerImage finds name in manifest.json.
func (a *imageArchive) dockerImage(name string) ([]byte, []string, error) {
	raw, err := a.read("manifest.json")
	if err != nil {
		return nil, nil, err
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, nil, fmt.Errorf("manifest.json: %w", err)
	}
	var listed []string
	for _, m := range manifest {
		if name == "" && len(manifest) == 1 || slices.ContainsFunc(m.RepoTags, func(tag string) bool { return sameName(tag, name) }) {
			cfg, err := a.read(m.Config)
			if err != nil {
				return nil, nil, err
			}
			return cfg, m.Layers, nil
		}
		listed = append(listed, m.RepoTags...)
	}
	return nil, nil, fmt.Errorf("manifest.json has no image %q (it has %q)", name, listed)
}

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
	} `json:"platform"`
}

// ociImage finds name in index.json (by its org.opencontainers.image.ref.name),
// following a nested index to the host's platform.
func (a *imageArchive) ociImage(name string) ([]byte, []string, error) {
	var index struct{ Manifests []ociDescriptor }
	raw, err := a.read("index.json")
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, nil, fmt.Errorf("index.json: %w", err)
	}
	var chosen *ociDescriptor
	var listed []string
	for i, m := range index.Manifests {
		ref := m.Annotations["org.opencontainers.image.ref.name"]
		if name == "" && len(index.Manifests) == 1 || name != "" && (sameName(ref, name) || strings.HasSuffix(name, ":"+ref)) {
			chosen = &index.Manifests[i]
			break
		}
		listed = append(listed, ref)
	}
	if chosen == nil {
		return nil, nil, fmt.Errorf("index.json has no image %q (it has %q)", name, listed)
	}
	for range 3 {
		blob, err := a.read(blobPath(chosen.Digest))
		if err != nil {
			return nil, nil, err
		}
		var doc struct {
			Manifests []ociDescriptor
			Config    ociDescriptor
			Layers    []ociDescriptor
		}
		if err := json.Unmarshal(blob, &doc); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", chosen.Digest, err)
		}
		if len(doc.Manifests) == 0 {
			cfg, err := a.read(blobPath(doc.Config.Digest))
			if err != nil {
				return nil, nil, err
			}
			var layers []string
			for _, l := range doc.Layers {
				layers = append(layers, blobPath(l.Digest))
			}
			return cfg, layers, nil
		}
		chosen = nil
		for i, m := range doc.Manifests {
			if m.Platform == nil || m.Platform.OS == "linux" && m.Platform.Architecture == "amd64" {
				chosen = &doc.Manifests[i]
				break
			}
		}
		if chosen == nil {
			return nil, nil, errors.New("the image index has no linux/amd64 manifest")
		}
	}
	return nil, nil, errors.New("indexes nested too deep")
}

func blobPath(digest string) string {
	alg, hex, _ := strings.Cut(digest, ":")
	return "blobs/" + alg + "/" + hex
}

// sameName reports whether two image names are the same, a missing tag
// being "latest".
func sameName(a, b string) bool {
	withTag := func(n string) string {
		if i := strings.LastIndex(n, ":"); i < 0 || strings.Contains(n[i:], "/") {
			return n + ":latest"
		}
		return n
	}
	return a != "" && b != "" && withTag(a) == withTag(b)
}

// apply applies one layer (uncompressed, gzip or zstd) to the tree and
// returns its diff_id (the uncompressed tar's digest).
func (img *imageTree) apply(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(4)
	var raw io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", err
		}
		defer zr.Close()
		raw = zr
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return "", err
		}
		defer zr.Close()
		raw = zr
	}
	diff := sha256.New()
	teed := io.TeeReader(raw, diff)
	tr := tar.NewReader(teed)
	// The paths this layer wrote: its whiteouts remove only what the
	// layers below put there.
	current := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// The DiffID covers what follows the end-of-archive marker
			// too (GNU tar pads to its record size).
			if _, err := io.Copy(io.Discard, teed); err != nil {
				return "", err
			}
			break
		}
		if err != nil {
			return "", err
		}
		if err := img.entry(h, tr, current); err != nil {
			return "", fmt.Errorf("%s: %w", h.Name, err)
		}
	}
	// The tar's end: archive/tar stops before reading all of the padding.
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(diff.Sum(nil)), nil
}

func (img *imageTree) entry(h *tar.Header, r io.Reader, current map[string]bool) error {
	p := path.Clean("/" + h.Name)
	if p == "/" {
		return nil
	}
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	switch {
	case base == ".wh..wh..opq":
		img.removeBelow(dir, current)
		return nil
	case strings.HasPrefix(base, ".wh."):
		gone := path.Join(dir, strings.TrimPrefix(base, ".wh."))
		if !current[gone] {
			delete(img.files, gone)
		}
		img.removeBelow(gone, current)
		return nil
	}
	n := treeNode{mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		n.kind = "file"
		sum := sha256.New()
		size, err := io.Copy(sum, r)
		if err != nil {
			return err
		}
		n.size, n.digest = size, hex.EncodeToString(sum.Sum(nil))
	case tar.TypeDir:
		n.kind = "dir"
	case tar.TypeSymlink:
		n.kind, n.link = "symlink", h.Linkname
		n.mode = 0o777 // a symlink's mode means nothing and differs between tar writers
	case tar.TypeLink:
		target := path.Clean("/" + h.Linkname)
		t, ok := img.files[target]
		if !ok {
			return fmt.Errorf("hard link to %s, which is not there", target)
		}
		n.kind, n.link, n.size, n.digest = "hardlink", target, t.size, t.digest
	case tar.TypeChar:
		n.kind, n.link = "char", fmt.Sprintf("%d,%d", h.Devmajor, h.Devminor)
	case tar.TypeBlock:
		n.kind, n.link = "block", fmt.Sprintf("%d,%d", h.Devmajor, h.Devminor)
	case tar.TypeFifo:
		n.kind = "fifo"
	default:
		return fmt.Errorf("tar entry type %q", h.Typeflag)
	}
	if old, ok := img.files[p]; ok && old.kind == "dir" && n.kind != "dir" {
		img.removeBelow(p, current)
	}
	// A parent the layer does not list is there as the unpacker makes it.
	for d := dir; d != "/"; d = path.Dir(d) {
		if _, ok := img.files[d]; ok {
			break
		}
		img.files[d] = treeNode{kind: "dir", mode: 0o755}
	}
	img.files[p] = n
	current[p] = true
	return nil
}

// removeBelow removes what is under dir, but for what the current layer wrote.
func (img *imageTree) removeBelow(dir string, current map[string]bool) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range img.files {
		if strings.HasPrefix(p, prefix) && !current[p] {
			delete(img.files, p)
		}
	}
}

// runtimeMountPoints are files a builder's RUN may leave behind where the
// engine mounted its own: empty /etc/hostname, /etc/hosts and
// /etc/resolv.conf (buildah leaves them, Docker does not) and an empty
// /run. withoutRuntimeMountPoints drops them when they are that and
// nothing more.
var runtimeMountPoints = []string{"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/run"}

func (img *imageTree) withoutRuntimeMountPoints() *imageTree {
	out := &imageTree{files: map[string]treeNode{}, config: img.config, layers: img.layers}
	for p, n := range img.files {
		out.files[p] = n
	}
	for _, p := range runtimeMountPoints {
		n, ok := out.files[p]
		if !ok {
			continue
		}
		switch {
		case n.kind == "file" && n.size == 0:
			delete(out.files, p)
		case n.kind == "dir" && !hasChildren(out.files, p):
			delete(out.files, p)
		}
	}
	return out
}

func hasChildren(files map[string]treeNode, dir string) bool {
	for p := range files {
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}

// compareOptions tune compareImages.
type compareOptions struct {
	// ignore lists paths (and what is under them) left out of the
	// comparison, each with why in the test.
	ignore []string
	// hardlinksAsFiles compares a hard link as the file it links to.
	hardlinksAsFiles bool
	// historyCreatedBy also compares each history entry's created_by.
	historyCreatedBy bool
}

// maxReported bounds a comparison's report.
const maxReported = 60

// compareImages lists, readably, how got (named gotName in the report)
// differs from want (wantName): files only in one, files that differ,
// and the normalised configurations' differing fields. Empty when they
// are the same.
func compareImages(want, got *imageTree, wantName, gotName string, o compareOptions) []string {
	var diffs []string
	w, g := want.withoutRuntimeMountPoints(), got.withoutRuntimeMountPoints()
	ignored := func(p string) bool {
		return slices.ContainsFunc(o.ignore, func(i string) bool { return p == i || strings.HasPrefix(p, strings.TrimSuffix(i, "/")+"/") })
	}
	node := func(n treeNode) treeNode {
		if o.hardlinksAsFiles && n.kind == "hardlink" {
			n.kind, n.link = "file", ""
		}
		return n
	}
	// A directory only one image has is one line, with how much is in it.
	var onlyDir, onlyIn string
	var onlyLine, onlyUnder int
	closeOnly := func() {
		if onlyDir != "" && onlyUnder > 0 {
			diffs[onlyLine] += fmt.Sprintf(" and %d entries under it", onlyUnder)
		}
		onlyDir = ""
	}
	for _, p := range sortedPaths(w.files, g.files) {
		if ignored(p) {
			continue
		}
		wn, inW := w.files[p]
		gn, inG := g.files[p]
		side := ""
		switch {
		case !inG:
			side = wantName
		case !inW:
			side = gotName
		}
		if onlyDir != "" && side == onlyIn && strings.HasPrefix(p, onlyDir+"/") {
			onlyUnder++
			continue
		}
		closeOnly()
		switch {
		case !inG:
			diffs = append(diffs, fmt.Sprintf("%s: only in %s's image (%s)", p, wantName, wn))
		case !inW:
			diffs = append(diffs, fmt.Sprintf("%s: only in %s's image (%s)", p, gotName, gn))
		case node(wn) != node(gn):
			diffs = append(diffs, fmt.Sprintf("%s: %s has %s, %s has %s", p, wantName, wn, gotName, gn))
		}
		// What is under a directory that the other image lacks or has as
		// something else.
		switch {
		case side != "" && (wn.kind == "dir" || gn.kind == "dir"):
		case inW && inG && wn.kind == "dir" && gn.kind != "dir":
			side = wantName
		case inW && inG && gn.kind == "dir" && wn.kind != "dir":
			side = gotName
		default:
			continue
		}
		onlyDir, onlyIn, onlyLine, onlyUnder = p, side, len(diffs)-1, 0
	}
	closeOnly()
	diffs = append(diffs, jsonDiffs("config", normalizedConfig(want, o), normalizedConfig(got, o), wantName, gotName)...)
	if len(diffs) > maxReported {
		diffs = append(diffs[:maxReported], fmt.Sprintf("… and %d more differences", len(diffs)-maxReported))
	}
	return diffs
}

func sortedPaths(a, b map[string]treeNode) []string {
	var paths []string
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	return paths
}

// normalizedConfig is what of an image's configuration a build must
// reproduce: platform, author, the run configuration without the fields
// that only say where or when it was built (Hostname, Domainname, Image,
// the Attach/Tty/Stdin flags, ArgsEscaped, buildah's io.buildah.version
// label) and without empty values (absent, null, "" and [] mean the same
// to a user), the number of layers, and the history as its count and
// which entries are empty layers (created_by too with historyCreatedBy).
// Times, container, container_config, docker_version and parent are left
// out.
func normalizedConfig(img *imageTree, o compareOptions) map[string]any {
	cfg := img.config
	out := map[string]any{"layers": float64(img.layers)}
	for _, k := range []string{"architecture", "os", "variant", "author"} {
		if v, ok := cfg[k]; ok && !isEmptyJSON(v) {
			out[k] = v
		}
	}
	if rc, ok := cfg["config"].(map[string]any); ok {
		norm := map[string]any{}
		for k, v := range rc {
			switch k {
			case "Hostname", "Domainname", "Image", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce", "ArgsEscaped":
				continue
			case "Labels":
				labels := map[string]any{}
				for lk, lv := range asMap(v) {
					if lk != "io.buildah.version" {
						labels[lk] = lv
					}
				}
				v = labels
			}
			if !isEmptyJSON(v) {
				norm[k] = v
			}
		}
		out["config"] = norm
	}
	var history []any
	for _, h := range asSlice(cfg["history"]) {
		hm := asMap(h)
		entry := map[string]any{"empty_layer": hm["empty_layer"] == true}
		if o.historyCreatedBy {
			entry["created_by"] = normalizedCreatedBy(fmt.Sprint(hm["created_by"]))
		}
		history = append(history, entry)
	}
	out["history"] = history
	return out
}

// normalizedCreatedBy makes the classic builder's "/bin/sh -c #(nop)  CMD
// [...]" and buildah's "/bin/sh -c #(nop) CMD [...]" the same.
func normalizedCreatedBy(s string) string {
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
	return strings.Join(strings.Fields(s), " ")
}

func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// jsonDiffs lists the paths at which two decoded JSON values differ.
func jsonDiffs(at string, want, got any, wantName, gotName string) []string {
	wm, wIsMap := want.(map[string]any)
	gm, gIsMap := got.(map[string]any)
	if wIsMap && gIsMap {
		keys := map[string]bool{}
		for k := range wm {
			keys[k] = true
		}
		for k := range gm {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var diffs []string
		for _, k := range sorted {
			diffs = append(diffs, jsonDiffs(at+"."+k, wm[k], gm[k], wantName, gotName)...)
		}
		return diffs
	}
	if reflect.DeepEqual(want, got) {
		return nil
	}
	enc := func(v any) string {
		if v == nil {
			return "(absent)"
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return []string{fmt.Sprintf("%s: %s has %s, %s has %s", at, wantName, enc(want), gotName, enc(got))}
}

// treeChanges is what img changes of base: the added or changed paths
// with their new node, the removed ones with nil.
func treeChanges(base, img *imageTree) map[string]*treeNode {
	b, g := base.withoutRuntimeMountPoints(), img.withoutRuntimeMountPoints()
	changes := map[string]*treeNode{}
	for _, p := range sortedPaths(b.files, g.files) {
		bn, inB := b.files[p]
		gn, inG := g.files[p]
		switch {
		case !inG:
			changes[p] = nil
		case !inB || bn != gn:
			n := gn
			changes[p] = &n
		}
	}
	return changes
}

// wantFile is a file a test expects, by content; wantDir and wantLink the
// same for a directory and a symlink. Owner 0:0 unless set.
func wantFile(content string, mode int64) treeNode {
	sum := sha256.Sum256([]byte(content))
	return treeNode{kind: "file", mode: mode, size: int64(len(content)), digest: hex.EncodeToString(sum[:])}
}

func wantDir(mode int64) treeNode { return treeNode{kind: "dir", mode: mode} }

func wantLink(target string) treeNode { return treeNode{kind: "symlink", mode: 0o777, link: target} }

func (n treeNode) ownedBy(uid, gid int) treeNode { n.uid, n.gid = uid, gid; return n }

// compareChanges lists how img's changes of base differ from want (a path
// mapped to nil: removed).
func compareChanges(base, img *imageTree, want map[string]*treeNode) []string {
	got := treeChanges(base, img)
	var diffs []string
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	show := func(n *treeNode) string {
		if n == nil {
			return "removed"
		}
		return n.String()
	}
	for _, p := range paths {
		w, inW := want[p]
		g, inG := got[p]
		switch {
		case !inG && w == nil:
			if _, there := img.files[p]; there {
				diffs = append(diffs, fmt.Sprintf("%s: want it removed, it is still there", p))
			}
		case !inG:
			diffs = append(diffs, fmt.Sprintf("%s: want %s, the build left it as the base has it (%s)", p, show(w), show(lookup(base, p))))
		case !inW:
			diffs = append(diffs, fmt.Sprintf("%s: an unexpected change: %s", p, show(g)))
		case (w == nil) != (g == nil) || w != nil && *w != *g:
			diffs = append(diffs, fmt.Sprintf("%s: want %s, got %s", p, show(w), show(g)))
		}
	}
	return diffs
}

func lookup(img *imageTree, p string) *treeNode {
	if n, ok := img.files[p]; ok {
		return &n
	}
	return nil
}

// The helper itself, on archives whose contents the test knows: a
// docker-archive written here with whiteouts, an opaque directory, a hard
// link and a replaced directory; and the whiteouts case as podman builds
// and saves it in both formats.

func TestImageTreeAppliesWhiteoutsAndOpaqueDirectories(t *testing.T) {
	layers := [][]byte{
		tarOf(t, []*tar.Header{
			{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "d/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			{Name: "d/sub/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 1000, Gid: 1000},
			{Name: "d/sub/b", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 1},
			{Name: "gone", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			{Name: "was-dir/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "was-dir/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "d/a"},
		}, map[string]string{"d/a": "a", "d/sub/b": "b", "gone": "g", "was-dir/x": "x"}),
		tarOf(t, []*tar.Header{
			{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o750},
			{Name: "d/.wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o644},
			{Name: "d/new", Typeflag: tar.TypeReg, Mode: 0o600, Size: 3},
			{Name: ".wh.gone", Typeflag: tar.TypeReg, Mode: 0o644},
			{Name: "was-dir", Typeflag: tar.TypeReg, Mode: 0o644, Size: 4},
			{Name: "hard", Typeflag: tar.TypeLink, Linkname: "d/new", Mode: 0o600},
		}, map[string]string{"d/new": "new", "was-dir": "file"}),
		tarOf(t, []*tar.Header{
			{Name: ".wh.link", Typeflag: tar.TypeReg, Mode: 0o644},
			{Name: "link/", Typeflag: tar.TypeDir, Mode: 0o711},
		}, nil),
	}
	archive := filepath.Join(mkTemp(t), "synthetic.tar")
	require.NoError(t, os.WriteFile(archive, dockerArchiveOf(t, "localhost/synthetic:latest", layers), 0o644))
	img, err := readImageArchive(archive, "localhost/synthetic")
	require.NoError(t, err)
	n := func(node treeNode) *treeNode { return &node }
	want := map[string]*treeNode{
		"/d":       n(wantDir(0o750)),
		"/d/new":   n(wantFile("new", 0o600)),
		"/hard":    {kind: "hardlink", mode: 0o600, size: 3, digest: wantFile("new", 0).digest, link: "/d/new"},
		"/link":    n(wantDir(0o711)),
		"/was-dir": n(wantFile("file", 0o644)),
	}
	assert.Empty(t, compareChanges(&imageTree{files: map[string]treeNode{}}, img, want))
	assert.Equal(t, 3, img.layers)

	// A diff_id that does not match is an error, naming the layer.
	bad := dockerArchiveOf(t, "localhost/bad:latest", layers)
	first, other := sha256.Sum256(layers[0]), sha256.Sum256([]byte("other"))
	bad = bytes.Replace(bad, []byte(hex.EncodeToString(first[:])), []byte(hex.EncodeToString(other[:])), 1)
	require.NoError(t, os.WriteFile(archive, bad, 0o644))
	_, err = readImageArchive(archive, "")
	assert.ErrorContains(t, err, "layer 1")
}

// dockerArchiveOf is a docker-archive of one image named name with these
// uncompressed layers (the second gzipped, as an archive may hold them).
func dockerArchiveOf(t *testing.T, name string, layers [][]byte) []byte {
	t.Helper()
	var diffIDs, files []string
	bodies := map[string]string{}
	var headers []*tar.Header
	for i, l := range layers {
		sum := sha256.Sum256(l)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
		fn := fmt.Sprintf("layer%d.tar", i)
		data := l
		if i == 1 {
			data = gzipped(t, l)
		}
		files = append(files, fn)
		bodies[fn] = string(data)
		headers = append(headers, &tar.Header{Name: fn, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))})
	}
	cfg, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	require.NoError(t, err)
	manifest, err := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{name}, "Layers": files}})
	require.NoError(t, err)
	bodies["config.json"], bodies["manifest.json"] = string(cfg), string(manifest)
	headers = append(headers,
		&tar.Header{Name: "config.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(cfg))},
		&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(manifest))})
	return tarOf(t, headers, bodies)
}

func TestImageTreeReadsWhatPodmanSaves(t *testing.T) {
	pm := newPodmanWorld(t)
	ctx := caseContext(t, "whiteouts", nil)
	pm.run(t, buildTimeout, "build", "--format", "docker", "-t", "localhost/tree-check", ctx).ok(t)
	trees := map[string]*imageTree{}
	for _, format := range []string{"docker-archive", "oci-archive"} {
		archive := filepath.Join(mkTemp(t), "image.tar")
		pm.run(t, time.Minute, "save", "--format", format, "-o", archive, "localhost/tree-check").ok(t)
		img, err := readImageArchive(archive, "localhost/tree-check")
		require.NoError(t, err, format)
		trees[format] = img
	}
	assert.Empty(t, compareImages(trees["docker-archive"], trees["oci-archive"], "docker-archive", "oci-archive", compareOptions{historyCreatedBy: true}),
		"one image, two formats")
	n := func(node treeNode) *treeNode { return &node }
	file := func(content string) *treeNode { return n(wantFile(content, 0o644)) }
	want := map[string]*treeNode{
		"/bin/sleep":  nil,
		"/etc/layer2": nil,
		"/d":          n(wantDir(0o755)),
		"/d/again":    n(wantDir(0o755)),
		"/d/again/f":  file("4\n"),
		"/d2":         n(wantDir(0o755)),
		"/d2/new":     file("new\n"),
		"/dangling":   n(wantLink("/nonexistent")),
		"/fifo":       {kind: "fifo", mode: 0o644},
		"/h1":         n(wantFile("h\n", 0o644).ownedBy(1000, 1001)),
		"/h2":         {kind: "hardlink", mode: 0o644, size: 2, digest: wantFile("h\n", 0).digest, link: "/h1"},
		"/sgid":       n(wantDir(0o2775)),
		"/sticky":     n(wantDir(0o1777)),
		"/suid":       n(wantFile("", 0o4755)),
	}
	group := trees["docker-archive"].files["/etc/group"]
	want["/etc/group"] = &treeNode{kind: "file", mode: 0o600, size: group.size, digest: group.digest}
	base := pm.busyboxTree(t)
	assert.Equal(t, base.files["/etc/group"].digest, group.digest, "chmod changed only /etc/group's mode")
	assert.Empty(t, compareChanges(base, trees["docker-archive"], want))
}
