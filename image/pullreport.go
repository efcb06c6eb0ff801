//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"go.podman.io/image/v5/docker/reference"
	"golang.org/x/term"
)

// pullReport tells the user what a pull does, as `docker pull` does: on a
// terminal one bar per layer, redrawn as it downloads and ending "Pull
// complete"; elsewhere one line per step of each layer ("ID: Pulling fs
// layer", "ID: Download complete", "ID: Pull complete"). Its methods do
// nothing on a nil report (a quiet pull).
type pullReport struct {
	w        io.Writer
	terminal bool

	mu     sync.Mutex // serialises plain lines from the layers' goroutines
	pool   *mpb.Progress
	layers map[digest.Digest]*layerProgress
}

// layerProgress is one layer's bar and the word shown before it.
type layerProgress struct {
	id    string // Docker's short id: 12 hex digits of the blob digest
	size  int64
	bar   *mpb.Bar
	state atomic.Value // string: Waiting, Downloading, Extracting...
	read  atomic.Int64
}

func newPullReport(w io.Writer) *pullReport {
	if w == nil {
		return nil
	}
	return &pullReport{w: w, terminal: isTerminalWriter(w), layers: map[digest.Digest]*layerProgress{}}
}

// isTerminalWriter reports whether w is a terminal, as the image library
// decides whether to draw its own bars.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// line prints one line of the report.
func (r *pullReport) line(format string, args ...any) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format+"\n", args...)
}

// header is Docker's first lines: the tag it chose when none was given,
// then which tag (or digest) of which repository is pulled.
func (r *pullReport) header(typed string, named reference.Named) {
	if r == nil {
		return
	}
	if t, err := reference.ParseNormalizedNamed(typed); err == nil && reference.IsNameOnly(t) {
		r.line("Using default tag: latest")
	}
	what := "latest"
	switch n := named.(type) {
	case reference.Digested:
		what = n.Digest().String()
	case reference.Tagged:
		what = n.Tag()
	}
	r.line("%s: Pulling from %s", what, reference.Path(named))
}

// start lists the image's layers: those stored already, and those to
// pull, each with a bar on a terminal.
func (r *pullReport) start(layers []*fastLayer) {
	if r == nil {
		return
	}
	if r.terminal {
		r.pool = mpb.New(mpb.WithOutput(r.w), mpb.WithWidth(50))
	}
	for _, l := range layers {
		p := &layerProgress{id: l.info.Digest.Encoded()[:12], size: l.info.Size}
		r.layers[l.info.Digest] = p
		switch {
		case r.pool != nil:
			p.state.Store("Waiting")
			if l.present {
				p.state.Store("Already exists")
			}
			p.bar = r.addBar(p)
			if l.present {
				p.bar.SetCurrent(p.barTotal())
			}
		case l.present:
			r.line("%s: Already exists", p.id)
		default:
			r.line("%s: Pulling fs layer", p.id)
		}
	}
}

// barTotal is one more than the layer's size: the bar completes when the
// layer is stored, not when its last byte arrived.
func (p *layerProgress) barTotal() int64 {
	if p.size > 0 {
		return p.size + 1
	}
	return 1
}

func (r *pullReport) addBar(p *layerProgress) *mpb.Bar {
	status := func(decor.Statistics) string { return p.state.Load().(string) }
	counts := func(decor.Statistics) string {
		if p.size <= 0 {
			return ""
		}
		return fmt.Sprintf("%.1f / %.1f", decor.SizeB1024(min(p.read.Load(), p.size)), decor.SizeB1024(p.size))
	}
	return r.pool.AddBar(p.barTotal(),
		mpb.BarFillerClearOnComplete(),
		mpb.PrependDecorators(
			decor.Name(p.id+": "),
			decor.Any(status, decor.WC{W: 15, C: decor.DindentRight}),
		),
		mpb.AppendDecorators(decor.OnComplete(decor.Any(counts), "")),
	)
}

// body counts what arrives of layer d's blob for its bar, and reports
// when the last byte has arrived.
func (r *pullReport) body(d digest.Digest, rd io.Reader) io.Reader {
	if r == nil || r.layers[d] == nil {
		return rd
	}
	p := r.layers[d]
	if p.bar != nil {
		p.state.Store("Downloading")
	}
	return &countingReader{r: rd, report: r, layer: p}
}

type countingReader struct {
	r      io.Reader
	report *pullReport
	layer  *layerProgress
	ended  bool
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	p := c.layer
	if n > 0 {
		p.read.Add(int64(n))
		if p.bar != nil && p.size > 0 {
			p.bar.SetCurrent(min(p.read.Load(), p.size))
		}
	}
	if err == io.EOF && !c.ended {
		c.ended = true
		if p.bar != nil {
			p.state.Store("Extracting")
		} else {
			c.report.line("%s: Download complete", p.id)
		}
	}
	return n, err
}

// stored says layer d is in the store.
func (r *pullReport) stored(d digest.Digest) {
	if r == nil || r.layers[d] == nil {
		return
	}
	p := r.layers[d]
	if p.bar == nil {
		r.line("%s: Pull complete", p.id)
		return
	}
	p.state.Store("Pull complete")
	p.bar.SetCurrent(p.barTotal())
}

// finish ends the bars (those of layers not stored stay as they are) and
// waits until they are drawn, so that the lines after them follow them.
func (r *pullReport) finish() {
	if r == nil || r.pool == nil {
		return
	}
	for _, p := range r.layers {
		if !p.bar.Completed() {
			p.bar.Abort(false)
		}
	}
	r.pool.Wait()
	r.pool = nil
}
