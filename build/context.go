package build

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Context is a build context: a directory on disk (a tar context or URL is
// unpacked into a temporary dir first).
type Context struct {
	// Dir is the context's root directory.
	Dir string
	// Dockerfile is the Dockerfile's content.
	Dockerfile []byte
	// DockerfileName is the Dockerfile as the user named it, for messages.
	DockerfileName string
	// IgnoreFile is the .dockerignore that was read ("" if none).
	IgnoreFile string
	// IgnorePatterns are its patterns, cleaned as Docker cleans them.
	IgnorePatterns []string

	ignore *patternmatcher.PatternMatcher
}

// ContextOptions say where a build context comes from.
type ContextOptions struct {
	// Source is a directory, "-" (stdin: a tar context, plain or
	// compressed, or a lone Dockerfile) or an http(s) URL of either.
	Source string
	// Dockerfile is -f: "" is "Dockerfile" in the context; for a directory
	// context a relative path names a file relative to the current
	// directory when there is one, else relative to the context; "-" reads
	// stdin. With a tar or URL context it names a file inside it.
	Dockerfile string
	Stdin      io.Reader
	// TempDir receives a tar or URL context, unpacked; the caller removes
	// it.
	TempDir string
	// Client fetches a URL context; nil is http.DefaultClient.
	Client *http.Client
}

// OpenContext finds the build context and its Dockerfile and reads its
// .dockerignore.
func OpenContext(o ContextOptions) (*Context, error) {
	if o.Source == "" {
		return nil, errors.New("no build context: give a directory, a URL or - (stdin)")
	}
	if o.Source == "-" && o.Dockerfile == "-" {
		return nil, errors.New("invalid argument: can't use stdin for both build context and dockerfile")
	}
	var c *Context
	var err error
	switch {
	case o.Source == "-":
		c, err = contextFromStream(o, o.Stdin, "stdin")
	case fetchIsURL(o.Source):
		c, err = contextFromURL(o)
	default:
		c, err = contextFromDir(o)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// contextFromDir opens a context directory on disk.
func contextFromDir(o ContextOptions) (*Context, error) {
	dir, err := filepath.Abs(o.Source)
	if err != nil {
		return nil, fmt.Errorf("unable to prepare context: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("unable to prepare context: path %q not found", o.Source)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("unable to prepare context: context must be a directory: %s", o.Source)
	}
	c := &Context{Dir: dir}
	if o.Dockerfile == "-" {
		if c.Dockerfile, err = contextReadStdin(o.Stdin); err != nil {
			return nil, err
		}
		c.DockerfileName = "-"
		return c, c.readIgnore("")
	}
	name := o.Dockerfile
	var file string
	switch {
	case name == "":
		name = "Dockerfile"
		file = filepath.Join(dir, name)
		// Docker's old builder also took a lower-case dockerfile.
		if _, err := os.Stat(file); err != nil {
			if _, lerr := os.Stat(filepath.Join(dir, "dockerfile")); lerr == nil {
				name, file = "dockerfile", filepath.Join(dir, "dockerfile")
			}
		}
	case filepath.IsAbs(name):
		file = name
	default:
		// As docker build: a relative -f is relative to the current
		// directory when it names a file there.
		if _, err := os.Stat(name); err == nil {
			file, _ = filepath.Abs(name)
		} else {
			file = filepath.Join(dir, name)
		}
	}
	c.DockerfileName = name
	if c.Dockerfile, err = contextReadDockerfile(file, name); err != nil {
		return nil, err
	}
	return c, c.readIgnore(file)
}

// contextFromURL downloads a context: a tar archive or a lone Dockerfile.
func contextFromURL(o ContextOptions) (*Context, error) {
	if strings.HasSuffix(strings.SplitN(o.Source, "#", 2)[0], ".git") {
		return nil, fmt.Errorf("unable to prepare context: git contexts are not supported: %s", o.Source)
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(o.Source)
	if err != nil {
		return nil, fmt.Errorf("unable to prepare context: download %s: %w", o.Source, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("unable to prepare context: download %s: %s", o.Source, resp.Status)
	}
	return contextFromStream(o, resp.Body, o.Source)
}

// contextFromStream reads a context from r: a tar archive (plain or
// compressed) is unpacked into a directory under TempDir; anything else is
// a lone Dockerfile with an empty context.
func contextFromStream(o ContextOptions, r io.Reader, what string) (*Context, error) {
	if r == nil {
		return nil, fmt.Errorf("unable to prepare context: nothing to read from %s", what)
	}
	if o.TempDir == "" {
		return nil, errors.New("unable to prepare context: no temporary directory to unpack it into")
	}
	dir, err := os.MkdirTemp(o.TempDir, "context-")
	if err != nil {
		return nil, fmt.Errorf("unable to prepare context: %w", err)
	}
	dr, closeR, err := fetchDecompressed(r)
	if err != nil {
		return nil, fmt.Errorf("unable to prepare context from %s: %w", what, err)
	}
	defer closeR()
	br := bufio.NewReaderSize(dr, 64<<10)
	head, _ := br.Peek(512)
	c := &Context{Dir: dir}
	if !fetchLooksLikeTar(head) {
		if o.Dockerfile != "" && o.Dockerfile != "Dockerfile" {
			return nil, fmt.Errorf("unable to prepare context: %s is a lone Dockerfile, not an archive holding %s", what, o.Dockerfile)
		}
		if c.Dockerfile, err = io.ReadAll(br); err != nil {
			return nil, fmt.Errorf("unable to prepare context: read %s: %w", what, err)
		}
		c.DockerfileName = "Dockerfile"
		return c, c.readIgnore("")
	}
	if err := fetchUnpack(br, dir, fetchUnpackOptions{}); err != nil {
		return nil, fmt.Errorf("unable to prepare context: unpack %s: %w", what, err)
	}
	if o.Dockerfile == "-" {
		if c.Dockerfile, err = contextReadStdin(o.Stdin); err != nil {
			return nil, err
		}
		c.DockerfileName = "-"
		return c, c.readIgnore("")
	}
	name := o.Dockerfile
	if name == "" {
		name = "Dockerfile"
	}
	// A name inside the archive: resolved inside it, never outside.
	file := filepath.Join(dir, path.Clean("/"+filepath.ToSlash(name)))
	c.DockerfileName = name
	if c.Dockerfile, err = contextReadDockerfile(file, name); err != nil {
		return nil, err
	}
	return c, c.readIgnore(file)
}

func contextReadStdin(stdin io.Reader) ([]byte, error) {
	if stdin == nil {
		return nil, errors.New("no Dockerfile on stdin: nothing to read")
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("read the Dockerfile from stdin: %w", err)
	}
	return b, nil
}

func contextReadDockerfile(file, name string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("unable to prepare context: cannot locate the Dockerfile %s: %w", name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the Dockerfile %s: %w", name, err)
	}
	return b, nil
}

// readIgnore reads the ignore file as Docker does: <Dockerfile>.dockerignore
// next to the Dockerfile first, else .dockerignore at the context's root.
func (c *Context) readIgnore(dockerfile string) error {
	candidates := []string{}
	if dockerfile != "" {
		candidates = append(candidates, dockerfile+".dockerignore")
	}
	candidates = append(candidates, filepath.Join(c.Dir, ".dockerignore"))
	for _, p := range candidates {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return fmt.Errorf("invalid pattern in %s: %w", p, err)
		}
		c.IgnoreFile, c.IgnorePatterns, c.ignore = p, patterns, pm
		return nil
	}
	return nil
}

// Ignored says whether the context-relative path p (slash-separated, no
// leading "/") is excluded by .dockerignore, itself or through a parent
// directory.
func (c *Context) Ignored(p string) (bool, error) {
	if c == nil || c.ignore == nil {
		return false, nil
	}
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return false, nil
	}
	ok, err := c.ignore.MatchesOrParentMatches(p)
	if err != nil {
		return false, fmt.Errorf("match %s against %s: %w", p, c.IgnoreFile, err)
	}
	return ok, nil
}

// ignoreMayReinclude says whether an ignored directory may still hold
// files that a "!" pattern brings back, so it must be walked.
func (c *Context) ignoreMayReinclude() bool {
	return c != nil && c.ignore != nil && c.ignore.Exclusions()
}
