// Package imagedoc is the document `urun image inspect` shows of an
// image, shaped as `docker image inspect`'s, and its rendering. It is a
// package of its own, light enough for `urun` itself: the image helper
// fills the document, and `urun inspect NAME`, which looks for a
// container first, renders containers and images in one array.
package imagedoc

// Image is one element of the array. Field names are Docker's Go names
// and the JSON keys Docker's, so templates such as {{.Config.Env}} or
// {{.Id}} work as with Docker.
type Image struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Parent       string
	Comment      string
	Created      string
	Author       string
	Config       Config
	Architecture string
	Variant      string `json:",omitempty"`
	Os           string
	OsVersion    string `json:",omitempty"`
	Size         int64
	GraphDriver  GraphDriver
	RootFS       RootFS
	Metadata     Metadata
}

// Config is Docker's container configuration: the one an image gives
// its containers (the image's configuration, Docker's or OCI's "config",
// decodes into it directly), and a container's own in `urun inspect`'s
// document (package inspect), declared once for both.
type Config struct {
	Hostname     string
	Domainname   string
	User         string
	AttachStdin  bool
	AttachStdout bool
	AttachStderr bool
	ExposedPorts map[string]struct{} `json:",omitempty"`
	Tty          bool
	OpenStdin    bool
	StdinOnce    bool
	Env          []string
	Cmd          []string
	Healthcheck  *Healthcheck `json:",omitempty"`
	ArgsEscaped  bool         `json:",omitempty"`
	Image        string
	Volumes      map[string]struct{}
	WorkingDir   string
	Entrypoint   []string
	OnBuild      []string
	Labels       map[string]string
	StopSignal   string   `json:",omitempty"`
	StopTimeout  *int     `json:",omitempty"`
	Shell        []string `json:",omitempty"`
}

// Healthcheck is the image's HEALTHCHECK; durations in nanoseconds.
type Healthcheck struct {
	Test          []string `json:",omitempty"`
	Interval      int64    `json:",omitempty"`
	Timeout       int64    `json:",omitempty"`
	StartPeriod   int64    `json:",omitempty"`
	StartInterval int64    `json:",omitempty"`
	Retries       int      `json:",omitempty"`
}

// GraphDriver names the storage driver and the directories of the
// image's top layer.
type GraphDriver struct {
	Name string
	Data map[string]string
}

// RootFS lists the image's layers by their uncompressed digests (the
// configuration's diff_ids), base first.
type RootFS struct {
	Type   string
	Layers []string
}

// Metadata is Docker's local metadata of an image.
type Metadata struct {
	// LastTagTime is when `urun tag` last named the image, or the zero
	// time Docker shows for an image never tagged locally.
	LastTagTime string
}

// Result is one ref's answer from the image helper to `urun inspect`:
// its document, or why there is none.
type Result struct {
	Ref   string
	Image *Image `json:",omitempty"`
	// NotFound: no image has that name; Error says why otherwise.
	NotFound bool   `json:",omitempty"`
	Error    string `json:",omitempty"`
}
