//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"fmt"
	"io"
	"strings"
	"time"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/types"
)

// reportCopy has a copy.Image tell the user what it does on w: the image
// library's own bars when w is a terminal, else one line per step of each
// layer as Docker prints them ("ID: Preparing", then "ID: " and done, or
// skipped for a layer the destination has). The returned function ends
// the report once the copy has returned.
func reportCopy(w io.Writer, opts *copy.Options, done, skipped string) (end func()) {
	if w == nil {
		return func() {}
	}
	if isTerminalWriter(w) {
		opts.ReportWriter = w
		return func() {}
	}
	events := make(chan types.ProgressProperties)
	finished := make(chan struct{})
	opts.Progress = events
	// Only the events matter, not the periodic reads.
	opts.ProgressInterval = time.Hour
	go func() {
		defer close(finished)
		for e := range events {
			if strings.Contains(e.Artifact.MediaType, "config") || e.Artifact.Digest == "" {
				continue
			}
			id := e.Artifact.Digest.Encoded()
			if len(id) > 12 {
				id = id[:12]
			}
			switch e.Event {
			case types.ProgressEventNewArtifact:
				fmt.Fprintf(w, "%s: Preparing\n", id)
			case types.ProgressEventDone:
				fmt.Fprintf(w, "%s: %s\n", id, done)
			case types.ProgressEventSkipped:
				fmt.Fprintf(w, "%s: %s\n", id, skipped)
			}
		}
	}()
	return func() {
		close(events)
		<-finished
	}
}
