package build

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher"
	digest "github.com/opencontainers/go-digest"
)

// CopyRequest is one COPY or ADD with its words already expanded.
type CopyRequest struct {
	// Add is ADD: local archives (tar, plain or gzip, bzip2, xz, zstd, known
	// by content) are unpacked; http(s) URLs are fetched, not unpacked.
	Add bool
	// Sources as written; filepath.Match globs allowed; relative to
	// SourceRoot (a path leading out of it is clamped to it, as BuildKit
	// does).
	Sources []string
	// Inline are heredoc sources: COPY <<EOF /dest.
	Inline []InlineFile
	// Dest as written: a trailing "/" (or a last element "." or "..") names
	// a directory; relative to WorkDir when not absolute.
	Dest string
	// WorkDir is the image's working directory at this step ("/" if empty).
	WorkDir string
	// SourceRoot is the context directory, or the root of another stage's
	// or image's file system (COPY --from).
	SourceRoot string
	// Context is set when SourceRoot is the build context: .dockerignore
	// applies.
	Context *Context
	// Chown is --chown=user[:group], names looked up in the destination's
	// /etc/passwd and /etc/group; "" is 0:0.
	Chown string
	// KeepOwners keeps the owners the sources have where Chown is not
	// given: COPY --from copies another stage's or image's files with
	// their owners (the context's files become root's).
	KeepOwners bool
	// Chmod is --chmod, octal, for every file and directory copied; "" keeps
	// the sources' modes.
	Chmod string
	// Exclude are --exclude patterns, .dockerignore syntax: a matched source
	// is matched relative to SourceRoot, entries inside a directory source
	// relative to that directory (as BuildKit's copy does).
	Exclude []string
	// Checksum is ADD --checksum for a URL source: "sha256:<hex>".
	Checksum string
	// FetchDir receives downloads.
	FetchDir string
	// Client fetches URLs; nil is http.DefaultClient.
	Client *http.Client
}

// InlineFile is a heredoc source: Name is the file's name, Data its content.
type InlineFile struct{ Name, Data string }

// PreparedCopy is a CopyRequest whose sources are resolved: globs matched,
// .dockerignore and --exclude applied, URLs downloaded.
type PreparedCopy struct {
	req     CopyRequest
	dest    string // absolute, clean, inside the destination root
	destDir bool   // Dest names a directory
	chmod   *os.FileMode
	sources []*copySource

	digest digest.Digest // once computed
}

type copySourceKind int

const (
	copyTree    copySourceKind = iota // a directory: its contents are copied
	copyFile                          // one file, symlink or fifo
	copyArchive                       // ADD of a local archive: unpacked
	copyInline                        // a heredoc
	copyURL                           // ADD of a download
)

func (k copySourceKind) String() string {
	return [...]string{"tree", "file", "archive", "inline", "url"}[k]
}

// copySource is one resolved source.
type copySource struct {
	kind copySourceKind
	// named is the source as written or matched, for messages.
	named string
	// name is what it is called in a destination directory.
	name string
	// entries: a tree's contents, parents before children; a file's one
	// entry (rel ""); an archive's or download's file.
	entries []*copyEntry
	// data is an inline file's content.
	data []byte
	// mtime is an inline file's or a download's time.
	mtime time.Time
}

// copyEntry is one file system entry a copy reads.
type copyEntry struct {
	rel   string // slash path under its tree; "" for a source that is no tree
	path  string // on the host
	mode  os.FileMode
	mtime time.Time
	link  string // a symlink's target
	size  int64
	dev   uint64
	ino   uint64
	nlink uint64
	// uid and gid are the owners it has where it is read.
	uid, gid int
	sum      string // content's sha256 hex, once Digest computed it
}

// PrepareCopy resolves r's sources: globs matched, .dockerignore and
// --exclude applied, URLs downloaded into r.FetchDir.
func PrepareCopy(r CopyRequest) (*PreparedCopy, error) {
	cmd := copyCommand(r.Add)
	if strings.TrimSpace(r.Dest) == "" {
		return nil, fmt.Errorf("%s requires a destination", cmd)
	}
	p := &PreparedCopy{req: r}
	p.dest, p.destDir = copyDestPath(r.Dest, r.WorkDir)
	if r.Chmod != "" {
		m, err := copyParseChmod(r.Chmod)
		if err != nil {
			return nil, err
		}
		p.chmod = &m
	}
	if _, _, err := copyParseChown(r.Chown); err != nil {
		return nil, err
	}
	if r.Checksum != "" {
		switch {
		case !r.Add:
			return nil, errors.New("checksum can't be specified for COPY")
		case len(r.Sources)+len(r.Inline) != 1:
			return nil, errors.New("checksum can't be specified for multiple sources")
		case !fetchIsURL(r.Sources[0]):
			return nil, errors.New("checksum requires HTTP(S) sources")
		}
	}
	w := &copyWalker{req: r, cmd: cmd}
	if len(r.Exclude) > 0 {
		pm, err := patternmatcher.New(r.Exclude)
		if err != nil {
			return nil, fmt.Errorf("invalid --exclude pattern: %w", err)
		}
		w.exclude = pm
	}
	for i, src := range r.Sources {
		if fetchIsURL(src) {
			if !r.Add {
				return nil, fmt.Errorf("source can't be a URL for COPY: %s", src)
			}
			s, err := w.download(src, i)
			if err != nil {
				return nil, err
			}
			p.sources = append(p.sources, s)
			continue
		}
		if r.SourceRoot == "" {
			return nil, fmt.Errorf("%s %s: no source root", cmd, src)
		}
		ss, err := w.local(src)
		if err != nil {
			return nil, err
		}
		p.sources = append(p.sources, ss...)
	}
	now := time.Now()
	for _, in := range r.Inline {
		name := path.Base(path.Clean("/" + in.Name))
		if name == "/" {
			return nil, fmt.Errorf("%s: inline file has no name", cmd)
		}
		p.sources = append(p.sources, &copySource{kind: copyInline, named: "<<" + in.Name, name: name, data: []byte(in.Data), mtime: now})
	}
	if len(p.sources) > 1 && !p.destDir {
		return nil, fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /", cmd)
	}
	return p, nil
}

func copyCommand(add bool) string {
	if add {
		return "ADD"
	}
	return "COPY"
}

// copyDestPath makes Dest absolute against workDir; it says whether Dest
// names a directory (ends in "/", "." or "..").
func copyDestPath(dest, workDir string) (string, bool) {
	slashed := filepath.ToSlash(dest)
	isDir := strings.HasSuffix(slashed, "/") || slashed == "." || slashed == ".." ||
		strings.HasSuffix(slashed, "/.") || strings.HasSuffix(slashed, "/..")
	if workDir == "" {
		workDir = "/"
	}
	if !path.IsAbs(slashed) {
		slashed = path.Join("/", workDir, slashed)
	}
	return path.Clean("/" + slashed), isDir
}

// copyParseChmod parses --chmod: octal, 0 to 07777.
func copyParseChmod(s string) (os.FileMode, error) {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("invalid chmod parameter: '%s'. it should be octal string and between 0 and 07777", s)
	}
	return fetchTarMode(int64(n)), nil
}

// copyWalker resolves local sources.
type copyWalker struct {
	req     CopyRequest
	cmd     string
	exclude *patternmatcher.PatternMatcher
}

func (w *copyWalker) notFound(src string) error {
	if w.req.Context != nil {
		return fmt.Errorf("%s failed: file not found in build context or excluded by .dockerignore: stat %s: %w", w.cmd, src, fs.ErrNotExist)
	}
	return fmt.Errorf("%s failed: stat %s: %w", w.cmd, src, fs.ErrNotExist)
}

// ignored says whether the root path p ("/a/b") is out of the build
// context by .dockerignore.
func (w *copyWalker) ignored(p string) (bool, error) {
	if w.req.Context == nil {
		return false, nil
	}
	return w.req.Context.Ignored(strings.TrimPrefix(p, "/"))
}

func (w *copyWalker) excluded(rel string) (bool, error) {
	if w.exclude == nil || rel == "" || rel == "." {
		return false, nil
	}
	ok, err := w.exclude.MatchesOrParentMatches(rel)
	if err != nil {
		return false, fmt.Errorf("match %s against --exclude: %w", rel, err)
	}
	return ok, nil
}

// local resolves one source path: a glob becomes its matches (none is no
// error, as in BuildKit), a plain path must exist.
func (w *copyWalker) local(src string) ([]*copySource, error) {
	clean := path.Clean("/" + filepath.ToSlash(src))
	var matches []string
	if copyHasWildcards(clean) {
		var err error
		if matches, err = w.glob(clean); err != nil {
			return nil, err
		}
	} else {
		matches = []string{clean}
	}
	var out []*copySource
	for _, m := range matches {
		s, err := w.source(src, m)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// copyHasWildcards says whether p holds an unescaped glob character.
func copyHasWildcards(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// glob matches pattern (a clean root path) component by component, as
// BuildKit does: the part before the first wildcard may go through
// symlinks; matched intermediate directories must be real directories.
func (w *copyWalker) glob(pattern string) ([]string, error) {
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	i := 0
	for i < len(parts) && !copyHasWildcards(parts[i]) {
		i++
	}
	base := "/" + strings.Join(parts[:i], "/")
	root := filepath.Clean(w.req.SourceRoot)
	host, err := securejoin.SecureJoin(root, base)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", base, err)
	}
	var out []string
	var match func(dirIn, dirHost string, rest []string) error
	match = func(dirIn, dirHost string, rest []string) error {
		ents, err := os.ReadDir(dirHost)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return fmt.Errorf("read %s: %w", dirIn, err)
		}
		for _, e := range ents {
			ok, err := filepath.Match(rest[0], e.Name())
			if err != nil {
				return fmt.Errorf("%s %s: %w", w.cmd, pattern, err)
			}
			if !ok {
				continue
			}
			childIn := path.Join(dirIn, e.Name())
			if ign, err := w.ignored(childIn); err != nil {
				return err
			} else if ign && !(e.IsDir() && w.req.Context.ignoreMayReinclude()) {
				continue
			}
			if len(rest) == 1 {
				out = append(out, childIn)
			} else if e.IsDir() {
				if err := match(childIn, filepath.Join(dirHost, e.Name()), rest[1:]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// The resolved base is what the matches hang from in the root.
	baseIn := "/" + strings.TrimPrefix(strings.TrimPrefix(host, root), "/")
	if err := match(baseIn, host, parts[i:]); err != nil {
		return nil, err
	}
	return out, nil
}

// source resolves one existing root path p (named as src): a symlink named
// as a source is followed inside the root, as BuildKit's COPY does (a
// symlink inside a copied directory is copied as a symlink). It returns
// nil for a source --exclude drops.
func (w *copyWalker) source(src, p string) (*copySource, error) {
	root := filepath.Clean(w.req.SourceRoot)
	host, err := securejoin.SecureJoin(root, p)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", src, err)
	}
	fi, err := os.Lstat(host)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, w.notFound(src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", w.cmd, src, err)
	}
	resolved := "/" + strings.TrimPrefix(strings.TrimPrefix(host, root), "/")
	ignored := false
	for _, q := range []string{p, resolved} {
		ign, err := w.ignored(q)
		if err != nil {
			return nil, err
		}
		ignored = ignored || ign
	}
	excluded, err := w.excluded(strings.TrimPrefix(p, "/"))
	if err != nil {
		return nil, err
	}
	s := &copySource{named: src, name: path.Base(p)}
	if !fi.IsDir() {
		if ignored {
			return nil, w.notFound(src)
		}
		if excluded {
			return nil, nil
		}
		e, ok := copyEntryOf(host, "", fi)
		if !ok {
			return nil, fmt.Errorf("%s %s: cannot copy %s", w.cmd, src, fi.Mode().Type())
		}
		s.kind, s.entries = copyFile, []*copyEntry{e}
		if w.req.Add && fi.Mode().IsRegular() {
			archive, err := fetchIsArchive(host)
			if err != nil {
				return nil, err
			}
			if archive {
				s.kind = copyArchive
			}
		}
		return s, nil
	}
	if ignored && !w.req.Context.ignoreMayReinclude() {
		return nil, w.notFound(src)
	}
	if excluded && !w.exclude.Exclusions() {
		return nil, nil
	}
	s.kind = copyTree
	if err := w.walk(host, resolved, "", &s.entries); err != nil {
		return nil, err
	}
	if ignored && len(s.entries) == 0 {
		return nil, w.notFound(src)
	}
	if excluded && len(s.entries) == 0 {
		return nil, nil
	}
	return s, nil
}

// walk lists dirHost's entries into out, parents before children, leaving
// out what .dockerignore or --exclude drop. A dropped directory is walked
// still when a "!" pattern may bring back something in it, and is kept
// when something was.
func (w *copyWalker) walk(dirHost, dirIn, rel string, out *[]*copyEntry) error {
	ents, err := os.ReadDir(dirHost)
	if err != nil {
		return fmt.Errorf("%s: read directory %s: %w", w.cmd, dirIn, err)
	}
	for _, de := range ents {
		name := de.Name()
		childHost := filepath.Join(dirHost, name)
		childIn := path.Join(dirIn, name)
		childRel := path.Join(rel, name)
		ignored, err := w.ignored(childIn)
		if err != nil {
			return err
		}
		excluded, err := w.excluded(childRel)
		if err != nil {
			return err
		}
		isDir := de.IsDir()
		if (ignored || excluded) && !isDir {
			continue
		}
		if ignored && !w.req.Context.ignoreMayReinclude() {
			continue
		}
		if excluded && !w.exclude.Exclusions() {
			continue
		}
		fi, err := os.Lstat(childHost)
		if err != nil {
			return fmt.Errorf("%s: %w", w.cmd, err)
		}
		e, ok := copyEntryOf(childHost, childRel, fi)
		if !ok {
			continue // sockets and devices are not copied
		}
		mark := len(*out)
		*out = append(*out, e)
		if !isDir {
			continue
		}
		if err := w.walk(childHost, childIn, childRel, out); err != nil {
			return err
		}
		if (ignored || excluded) && len(*out) == mark+1 {
			*out = (*out)[:mark]
		}
	}
	return nil
}

// copyEntryOf describes the entry at host; false for a kind COPY does not
// carry (sockets, devices: they cannot be made in a user namespace).
func copyEntryOf(host, rel string, fi os.FileInfo) (*copyEntry, bool) {
	e := &copyEntry{rel: rel, path: host, mode: fi.Mode(), mtime: fi.ModTime(), size: fi.Size()}
	switch t := fi.Mode().Type(); {
	case t == 0, t == fs.ModeDir, t == fs.ModeNamedPipe:
	case t == fs.ModeSymlink:
		link, err := os.Readlink(host)
		if err != nil {
			return nil, false
		}
		e.link = link
	default:
		return nil, false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.dev, e.ino, e.nlink = uint64(st.Dev), st.Ino, uint64(st.Nlink)
		e.uid, e.gid = int(st.Uid), int(st.Gid)
	}
	return e, true
}

// download fetches an ADD URL source into FetchDir.
func (w *copyWalker) download(src string, i int) (*copySource, error) {
	if w.req.FetchDir == "" {
		return nil, fmt.Errorf("ADD %s: no directory to download into", src)
	}
	dir, err := os.MkdirTemp(w.req.FetchDir, fmt.Sprintf("add-%d-", i))
	if err != nil {
		return nil, fmt.Errorf("ADD %s: %w", src, err)
	}
	name := fetchFileName(src)
	f, err := fetchURL(w.req.Client, src, filepath.Join(dir, name), w.req.Checksum)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(f.Path)
	if err != nil {
		return nil, fmt.Errorf("ADD %s: %w", src, err)
	}
	e, _ := copyEntryOf(f.Path, "", fi)
	// Docker gives a download mode 0600 and the server's Last-Modified.
	e.mode, e.mtime = 0o600, f.MTime
	return &copySource{kind: copyURL, named: src, name: name, entries: []*copyEntry{e}, mtime: f.MTime}, nil
}
