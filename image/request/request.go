// Package request declares the image commands urun hands its image
// helper, urun-image: one typed request per command, filled by urun from
// its flags, sent once as the start message of stage.Image, checked and
// done by urun-image, which passes the same request on to itself in the
// user namespace it enters (stage.ImageInUserNS). Package image takes some of these types as its options. It
// stays light (the standard library and x/sys): urun links it.
package request

import "github.com/urun/urun/prunefilter"

// Request is one image command on one store: exactly one command field is
// set.
type Request struct {
	Store Store

	Pull    *Pull    `json:",omitempty"`
	Images  *Images  `json:",omitempty"`
	Tag     *Tag     `json:",omitempty"`
	Rmi     *Rmi     `json:",omitempty"`
	Prune   *Prune   `json:",omitempty"`
	Inspect *Inspect `json:",omitempty"`
	History *History `json:",omitempty"`
	Push    *Push    `json:",omitempty"`
	Save    *Save    `json:",omitempty"`
	Load    *Load    `json:",omitempty"`
	Import  *Import  `json:",omitempty"`
	Login   *Login   `json:",omitempty"`
	Logout  *Logout  `json:",omitempty"`
	Search  *Search  `json:",omitempty"`
	Build   *Build   `json:",omitempty"`
	// BuilderPrune is `urun builder prune`.
	BuilderPrune *BuilderPrune `json:",omitempty"`
	Commit       *Commit       `json:",omitempty"`
	Diff         *Diff         `json:",omitempty"`
	// CDI is `urun run`'s resolution of CDI device names (cdi.go).
	CDI *CDI `json:",omitempty"`
}

// Command names the command r asks for, as urun-image's messages name it;
// "" when none is set.
func (r Request) Command() string {
	for _, c := range []struct {
		set  bool
		name string
	}{
		{r.Pull != nil, "pull"}, {r.Images != nil, "images"}, {r.Tag != nil, "tag"},
		{r.Rmi != nil, "rmi"}, {r.Prune != nil, "prune"}, {r.Inspect != nil, "inspect"},
		{r.History != nil, "history"}, {r.Push != nil, "push"}, {r.Save != nil, "save"},
		{r.Load != nil, "load"}, {r.Import != nil, "import"}, {r.Login != nil, "login"},
		{r.Logout != nil, "logout"}, {r.Search != nil, "search"},
		{r.Build != nil, "build"}, {r.BuilderPrune != nil, "builder prune"},
		{r.Commit != nil, "commit"}, {r.Diff != nil, "diff"},
		{r.CDI != nil, "cdi"},
	} {
		if c.set {
			return c.name
		}
	}
	return ""
}

// Store is urun's global flags: which store, run root and configuration
// file. Empty fields leave them to urun.conf.
type Store struct {
	Root         string // --root: the image store
	RunRoot      string // --runroot
	RootfsDriver string // --rootfs-driver: auto, native or fuse-overlayfs
	ConfigFile   string // --config
}

// Access is how a command reaches registries.
type Access struct {
	// AuthFile is --authfile; "" means $REGISTRY_AUTH_FILE, else the
	// image library's files.
	AuthFile string
	// TLSVerify, when set (--tls-verify given), overrides
	// registries.conf: false allows plain http and unverified
	// certificates.
	TLSVerify *bool
}

// Pull is `urun pull`, and `urun run`'s pull of an image it does not have.
type Pull struct {
	Ref string
	// Quiet drops the progress report: only the reference is printed.
	Quiet bool
	// TLSVerify is Access.TLSVerify, for this pull's every registry.
	TLSVerify *bool
	// Platform is OS/ARCH[/VARIANT]: which image of an index to pull (""
	// the host's).
	Platform string
	// ForRun is `urun run`'s pull: as Docker's run, it ends without the
	// reference `urun pull` prints last.
	ForRun bool `json:",omitempty"`
	// AllTags (-a) pulls every tag the registry lists for Ref, a
	// repository without a tag.
	AllTags bool `json:",omitempty"`
}

// Images is `urun images`, and the options package image lists with.
type Images struct {
	Quiet   bool // IDs only
	NoTrunc bool // full IDs
	Digests bool // a DIGEST column
	// Format is "" or "table", "json", or a Go template of Docker's
	// fields (.ID .Repository .Tag .Digest .CreatedSince .CreatedAt
	// .Size), with Docker's "table" prefix.
	Format string
	// Filters are --filter's KEY=VALUE; Repository (REPOSITORY[:TAG]),
	// when given, is one more: reference=REPOSITORY[:TAG].
	Filters    []string
	Repository string
}

// Tag is `urun tag`: Target becomes a name of the image Source names.
type Tag struct {
	Source, Target string
}

// Rmi is `urun rmi`.
type Rmi struct {
	Images []string
	// Force untags images containers use (keeping them) and deletes
	// images named in several repositories.
	Force bool
}

// Prune is `urun image prune`.
type Prune struct {
	// All removes every image no container uses, not only those without
	// a name.
	All bool
	// Filters are --filter's label=, label!= and until=: only the images
	// that match are removed (until= against the image's creation time).
	Filters prunefilter.Filters
}

// Inspect is `urun image inspect`, or with Raw `urun inspect`'s lookup
// of the refs that name no container: a JSON array of imagedoc.Result,
// one per image.
type Inspect struct {
	Images []string
	Format string // a Go template applied to each document
	Raw    bool
}

// History is `urun history`, and the options package image writes a
// history with.
type History struct {
	Image          string
	Quiet, NoTrunc bool
	// Human: sizes and times for people (Docker's -H, on by default).
	Human bool
	// Format: "" or "table", "json", or a Go template of the fields
	// .ID .CreatedSince .CreatedAt .CreatedBy .Size .Comment.
	Format string
}

// Push is `urun push`: Image to Destination, or to its own name.
type Push struct {
	Image, Destination string
	// Quiet shows no progress and prints only the pushed reference.
	Quiet bool
	// Format is "oci" or "v2s2"; "" keeps the image's own.
	Format string
	// DigestFile, if set, receives the pushed manifest's digest.
	DigestFile string
	Access     Access
	// AllTags (-a) pushes every local tag of Image, a repository without
	// a tag; Destination is then empty.
	AllTags bool `json:",omitempty"`
}

// Save is `urun save`.
type Save struct {
	Images []string
	// Format is docker-archive, oci-archive or oci-dir.
	Format string
	// Output is a file (a directory for oci-dir); "" writes to stdout.
	Output string
}

// Load is `urun load`.
type Load struct {
	// Input is an archive or an OCI layout directory; "" reads stdin.
	Input string
	Quiet bool
}

// Import is `urun import`.
type Import struct {
	// Source is a file, an http(s) URL or "-" for stdin; Reference names
	// the image ("" leaves it untagged).
	Source, Reference string
	Changes           []string // Dockerfile instructions (--change)
	Message           string
	Platform          string // OS/ARCH[/VARIANT]; "" the host's
}

// Login is `urun login`. The password travels in the request, on the
// stage's socket, which no other process can read, never in the helper's
// arguments or environment.
type Login struct {
	Registry      string // "" for Docker Hub
	Username      string
	Password      string // -p; "" when not given
	PasswordStdin bool
	Access        Access
}

// Logout is `urun logout`.
type Logout struct {
	Registry string // "" for Docker Hub
	All      bool
	AuthFile string
}

// Search is `urun search`, and the options package image searches with.
type Search struct {
	Term    string // [REGISTRY/]TERM
	Limit   int    // results per registry
	NoTrunc bool   // whole descriptions
	// Format is "", "table", "json" or a Go template over the results'
	// fields, as with Docker.
	Format string
	Access Access
	// Filters are --filter's: Docker's stars=N, is-official= and
	// is-automated=.
	Filters SearchFilters
}

// SearchFilters keep some of a search's results; the zero value keeps
// them all.
type SearchFilters struct {
	// MinStars keeps the results with at least that many stars (a
	// registry without stars gives 0).
	MinStars int `json:",omitempty"`
	// Official and Automated, when set, keep the results whose
	// is-official or is-automated is that value.
	Official  *bool `json:",omitempty"`
	Automated *bool `json:",omitempty"`
}

// Build is `urun build`. Paths are absolute: the helper may run in
// another working directory.
type Build struct {
	// Context is a directory, "-" (stdin) or an http(s) URL.
	Context string
	// Dockerfile is -f: "" for CONTEXT/Dockerfile, "-" for stdin.
	Dockerfile string
	Tags       []string
	// BuildArgs are KEY=VALUE (urun filled in the values of bare KEYs).
	BuildArgs []string
	Target    string
	NoCache   bool
	// Pull is "missing", "always" or "never".
	Pull    string
	Labels  []string
	Quiet   bool
	IIDFile string
	// Network is RUN's network: "default", "host" or "none".
	Network string
	// Secrets map ids to absolute file paths.
	Secrets  map[string]string
	Platform string
	// Format is "docker" or "oci".
	Format    string
	TLSVerify *bool
	// AddHosts are --add-host entries RUN sees in /etc/hosts, each
	// NAME:IP, checked by urun (host-gateway resolved).
	AddHosts []string `json:",omitempty"`
	// ShmSize is RUN's /dev/shm size in bytes; 0 for Docker's 64 MiB.
	ShmSize int64 `json:",omitempty"`
	// Ulimits are RUN's --ulimit TYPE=SOFT[:HARD] values.
	Ulimits []string `json:",omitempty"`
}

// BuilderPrune is `urun builder prune`: it empties the build cache.
type BuilderPrune struct{}

// Commit is `urun commit`: an image of a container's image and its
// changes. urun finds the container and tells where its writable layer
// is; urun-image reads the layer, which belongs to subordinate ids.
type Commit struct {
	// Container names the container in messages.
	Container string
	// Layer is the container's writable layer: its overlay's upper
	// directory.
	Layer string
	// Image is the id of the container's image.
	Image string
	// Config is the container's run configuration, which the image gets.
	Config RunConfig
	// CreatedBy is the history entry's created_by: the container's
	// command.
	CreatedBy string
	Changes   []string // Dockerfile instructions (--change)
	Message   string
	Author    string
	// Reference names the image ("" leaves it untagged).
	Reference string
	// Format is "docker" (the default) or "oci".
	Format string
}

// RunConfig is what a container runs with that an image can say. Nil and
// empty lists differ: an empty Entrypoint was cleared (--entrypoint "").
type RunConfig struct {
	User       string
	Env        []string
	Entrypoint []string
	Cmd        []string
	WorkingDir string
	Labels     map[string]string
	StopSignal string
	// ExposedPorts are "PORT/PROTO" keys: the container's published ports,
	// which its image gets besides its own.
	ExposedPorts []string
}

// Diff is `urun diff`: the changes of a container's writable layer
// (Layer) relative to its image (Image, an id).
type Diff struct {
	Layer string
	Image string
}
