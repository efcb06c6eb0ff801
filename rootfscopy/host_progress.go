package rootfscopy

import (
	"fmt"
	"io"
	"os"

	units "github.com/docker/go-units"
	"golang.org/x/term"
)

// report says how much a copy moved (the tar stream's size), as docker
// cp does on a terminal.
func report(o CopyOptions, n int64) {
	if !o.Quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		fmt.Fprintf(os.Stderr, "Successfully copied %s to %s\n", units.HumanSize(float64(n)), o.Dst)
	}
}

// counter counts the bytes that pass through it.
type counter struct {
	r io.Reader
	w io.Writer
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
