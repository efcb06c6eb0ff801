package testbed

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Manifest and layer media types beyond the OCI gzip ones of the fixtures.
const (
	MediaTypeIndex           = "application/vnd.oci.image.index.v1+json"
	MediaTypeLayerZstd       = "application/vnd.oci.image.layer.v1.tar+zstd"
	MediaTypeLayerTar        = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeDockerManifest  = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList      = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig    = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// VariantFile is the file each variant image adds, holding its Mark.
const VariantFile = "/etc/variant"

// Platform is an image's OS, architecture and variant.
type Platform struct{ OS, Architecture, Variant string }

// String is OS/ARCH[/VARIANT], as --platform takes it.
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Variant is a fixture image in one of the formats a registry serves:
// busybox's two layers plus one writing Mark to VariantFile.
type Variant struct {
	*Image
	ManifestType string // the manifest's media type
	Mark         string // VariantFile's content
}

// Index is an OCI image index or a Docker manifest list.
type Index struct {
	Repo, Tag string
	MediaType string
	Manifest  []byte
	Digest    string
	// Members are its images, one per platform; each image's Mark is its
	// platform's String() and a newline.
	Members   []*Variant
	Platforms []Platform
}

// Name is REPO:TAG.
func (ix *Index) Name() string { return ix.Repo + ":" + ix.Tag }

// HostPlatform is linux and the architecture of this build.
func HostPlatform() Platform {
	p := Platform{OS: "linux", Architecture: runtime.GOARCH}
	if p.Architecture == "arm64" {
		p.Variant = "v8"
	}
	return p
}

// Variants are the images the pull tests fetch in each format.
type Variants struct {
	DockerSchema2 *Variant // test/variant-docker:latest: Docker v2 schema 2 manifest, gzip layers
	Zstd          *Variant // test/variant-zstd:latest: OCI manifest, zstd layers
	Uncompressed  *Variant // test/variant-tar:latest: OCI manifest, uncompressed layers
	OCIIndex      *Index   // test/multiarch:oci: OCI index, OCI manifests
	DockerList    *Index   // test/multiarch:docker: Docker manifest list, Docker manifests
}

// Images lists the variants' single images (not the indexes' members).
func (v *Variants) Images() []*Variant { return []*Variant{v.DockerSchema2, v.Zstd, v.Uncompressed} }

// IndexPlatforms are the platforms of the indexes: the host's and three
// others, which no test runs natively (their busybox is the host's).
func IndexPlatforms() []Platform {
	host := HostPlatform()
	out := []Platform{host}
	for _, p := range []Platform{{"linux", "arm64", "v8"}, {"linux", "arm", "v7"}, {"linux", "s390x", ""}, {"linux", "amd64", ""}} {
		if p != host && len(out) < 4 {
			out = append(out, p)
		}
	}
	return out
}

// layerFormat is how a variant's layers are compressed and described.
type layerFormat struct {
	mediaType string
	compress  func(raw []byte) ([]byte, error)
}

var (
	ociGzip    = layerFormat{MediaTypeLayer, gzipBytes}
	ociZstd    = layerFormat{MediaTypeLayerZstd, zstdBytes}
	ociTar     = layerFormat{MediaTypeLayerTar, func(raw []byte) ([]byte, error) { return raw, nil }}
	dockerGzip = layerFormat{MediaTypeDockerLayerGzip, gzipBytes}
)

func gzipBytes(raw []byte) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func zstdBytes(raw []byte) ([]byte, error) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(raw, nil), nil
}

// rawLayers returns base's layers uncompressed (the fixtures' are gzip).
func rawLayers(base *Image) ([][]byte, error) {
	var out [][]byte
	for _, l := range base.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(l.Data))
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		out = append(out, raw)
	}
	return out, nil
}

// rawTar is the uncompressed tar of entries.
func rawTar(entries []entry) ([]byte, error) {
	l, err := buildLayer(entries)
	if err != nil {
		return nil, err
	}
	raw, err := rawLayers(&Image{Layers: []Blob{l.blob}})
	if err != nil {
		return nil, err
	}
	return raw[0], nil
}

// buildVariant assembles base's layers and top (uncompressed tars) in
// format f under manifestType, with a config naming platform p.
func buildVariant(repo, tag string, base *Image, top [][]byte, f layerFormat, manifestType, configType string, p Platform, mark string) (*Variant, error) {
	raws, err := rawLayers(base)
	if err != nil {
		return nil, err
	}
	raws = append(raws, top...)
	var layers []layer
	for _, raw := range raws {
		data, err := f.compress(raw)
		if err != nil {
			return nil, err
		}
		layers = append(layers, layer{blob: newBlob(f.mediaType, data), diffID: sha256Digest(raw)})
	}
	img, err := assembleAs(repo, tag, layers, base.config, manifestType, configType, p)
	if err != nil {
		return nil, err
	}
	return &Variant{Image: img, ManifestType: manifestType, Mark: mark}, nil
}

func markLayer(mark string) ([]byte, error) {
	return rawTar([]entry{dir("etc/", 0o755), file("etc/variant", mark)})
}

// assembleAs is assemble with the manifest's and config's media types and
// the config's platform chosen.
func assembleAs(repo, tag string, layers []layer, rc runConfig, manifestType, configType string, p Platform) (*Image, error) {
	cfg := struct {
		Created      string    `json:"created"`
		Architecture string    `json:"architecture"`
		Variant      string    `json:"variant,omitempty"`
		OS           string    `json:"os"`
		Config       runConfig `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}{Created: fixtureTime.Format(time.RFC3339), Architecture: p.Architecture, Variant: p.Variant, OS: p.OS, Config: rc}
	cfg.RootFS.Type = "layers"
	img := &Image{Repo: repo, Tag: tag, config: rc}
	var descs []descriptor
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
		img.diffIDs = append(img.diffIDs, l.diffID)
		img.Layers = append(img.Layers, l.blob)
		descs = append(descs, describe(l.blob))
	}
	return sealImage(img, cfg, configType, manifestType, descs)
}

// BuildVariants builds the variants from the busybox fixture.
func BuildVariants(busybox *Image) (*Variants, error) {
	v := &Variants{}
	host := HostPlatform()
	for _, c := range []struct {
		dst                 **Variant
		repo, mark          string
		f                   layerFormat
		manifest, configTyp string
	}{
		{&v.DockerSchema2, "test/variant-docker", "docker-schema2\n", dockerGzip, MediaTypeDockerManifest, MediaTypeDockerConfig},
		{&v.Zstd, "test/variant-zstd", "zstd\n", ociZstd, MediaTypeManifest, MediaTypeConfig},
		{&v.Uncompressed, "test/variant-tar", "uncompressed\n", ociTar, MediaTypeManifest, MediaTypeConfig},
	} {
		top, err := markLayer(c.mark)
		if err != nil {
			return nil, err
		}
		img, err := buildVariant(c.repo, "latest", busybox, [][]byte{top}, c.f, c.manifest, c.configTyp, host, c.mark)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.repo, err)
		}
		*c.dst = img
	}
	var err error
	if v.OCIIndex, err = buildIndex("test/multiarch", "oci", busybox, ociGzip, MediaTypeIndex, MediaTypeManifest, MediaTypeConfig); err != nil {
		return nil, err
	}
	if v.DockerList, err = buildIndex("test/multiarch", "docker", busybox, dockerGzip, MediaTypeDockerList, MediaTypeDockerManifest, MediaTypeDockerConfig); err != nil {
		return nil, err
	}
	return v, nil
}

func buildIndex(repo, tag string, base *Image, f layerFormat, indexType, manifestType, configType string) (*Index, error) {
	ix := &Index{Repo: repo, Tag: tag, MediaType: indexType, Platforms: IndexPlatforms()}
	type platformJSON struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Variant      string `json:"variant,omitempty"`
	}
	type member struct {
		descriptor
		Platform platformJSON `json:"platform"`
	}
	var members []member
	for _, p := range ix.Platforms {
		mark := p.String() + "\n"
		top, err := markLayer(mark)
		if err != nil {
			return nil, err
		}
		img, err := buildVariant(repo, "", base, [][]byte{top}, f, manifestType, configType, p, mark)
		if err != nil {
			return nil, fmt.Errorf("%s:%s %s: %w", repo, tag, p, err)
		}
		ix.Members = append(ix.Members, img)
		members = append(members, member{
			descriptor: descriptor{MediaType: manifestType, Digest: img.Digest, Size: len(img.Manifest)},
			Platform:   platformJSON{p.Architecture, p.OS, p.Variant},
		})
	}
	b, err := json.Marshal(struct {
		SchemaVersion int      `json:"schemaVersion"`
		MediaType     string   `json:"mediaType"`
		Manifests     []member `json:"manifests"`
	}{2, indexType, members})
	if err != nil {
		return nil, err
	}
	ix.Manifest = b
	ix.Digest = sha256Digest(b)
	return ix, nil
}

// PushVariant pushes v with its own manifest media type (Push sends OCI's).
func (r *Registry) PushVariant(v *Variant) error {
	return r.pushAs(v.Image, v.Tag, v.ManifestType)
}

// PushIndex pushes ix's members by digest, then ix under its tag.
func (r *Registry) PushIndex(ix *Index) error {
	for _, m := range ix.Members {
		if err := r.pushAs(m.Image, m.Digest, m.ManifestType); err != nil {
			return err
		}
	}
	return r.putManifest(ix.Repo, ix.Tag, ix.MediaType, ix.Manifest, ix.Digest)
}

// RefIndex is ADDR/REPO:TAG of ix in r.
func (r *Registry) RefIndex(ix *Index) string { return r.addr + "/" + ix.Name() }

// RefDigest is ADDR/REPO@DIGEST.
func (r *Registry) RefDigest(repo, digest string) string { return r.addr + "/" + repo + "@" + digest }

func (r *Registry) pushAs(img *Image, ref, manifestType string) error {
	for _, b := range append([]Blob{img.Config}, img.Layers...) {
		if err := r.pushBlob(img.Repo, b); err != nil {
			return fmt.Errorf("%s blob %s: %w", img.Repo, b.Digest, err)
		}
	}
	return r.putManifest(img.Repo, ref, manifestType, img.Manifest, img.Digest)
}

func (r *Registry) putManifest(repo, ref, mediaType string, body []byte, digest string) error {
	u := fmt.Sprintf("http://%s/v2/%s/manifests/%s", r.addr, repo, ref)
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	resp, err := r.do(req, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("%s manifest %s: %w", repo, ref, err)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != digest {
		return fmt.Errorf("%s manifest %s: the registry computed digest %q, we computed %q", repo, ref, got, digest)
	}
	return nil
}
