//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/image"
	"github.com/urun/urun/trace"
)

// copyStep runs COPY.
func (b *builder) copyStep(st *stageState, c *instructions.CopyCommand) error {
	if err := c.Expand(b.expander(st)); err != nil {
		return err
	}
	if err := c.ExpandRaw(b.expander(st)); err != nil {
		return err
	}
	if c.Parents {
		return fmt.Errorf("COPY --parents is not supported by urun build")
	}
	r := CopyRequest{Chown: c.Chown, Chmod: c.Chmod, Exclude: c.ExcludePatterns}
	return b.copyInto(st, "COPY", c.From, c.SourcesAndDest, r)
}

// addStep runs ADD.
func (b *builder) addStep(st *stageState, c *instructions.AddCommand) error {
	if err := c.Expand(b.expander(st)); err != nil {
		return err
	}
	if err := c.ExpandRaw(b.expander(st)); err != nil {
		return err
	}
	if c.Unpack != nil && !*c.Unpack {
		return fmt.Errorf("ADD --unpack=false is not supported by urun build: use COPY for an archive that stays packed")
	}
	r := CopyRequest{Add: true, Chown: c.Chown, Chmod: c.Chmod, Exclude: c.ExcludePatterns, Checksum: c.Checksum}
	return b.copyInto(st, "ADD", "", c.SourcesAndDest, r)
}

// copyInto resolves, keys and runs a COPY or ADD.
func (b *builder) copyInto(st *stageState, name, from string, sd instructions.SourcesAndDest, r CopyRequest) error {
	r.Sources = sd.SourcePaths
	r.Dest = sd.DestPath
	r.WorkDir = st.config.Config.WorkingDir
	if r.WorkDir == "" {
		r.WorkDir = "/"
	}
	for _, sc := range sd.SourceContents {
		r.Inline = append(r.Inline, InlineFile{Name: sc.Path, Data: sc.Data})
	}
	r.FetchDir = b.tmp
	if from != "" {
		root, release, err := b.sourceRoot(st, from)
		if err != nil {
			return err
		}
		defer release()
		r.SourceRoot = root
		r.KeepOwners = true
	} else {
		r.SourceRoot = b.bctx.Dir
		r.Context = b.bctx
	}
	p, err := PrepareCopy(r)
	if err != nil {
		return err
	}
	content, err := p.Digest()
	if err != nil {
		return err
	}
	trace.Mark("build", fmt.Sprintf("step%d-content-digested", b.step))
	described, err := json.Marshal(struct {
		Name, From, Dest, WorkDir, Chown, Chmod, Checksum string
		Sources, Exclude                                  []string
	}{name, from, r.Dest, r.WorkDir, r.Chown, r.Chmod, r.Checksum, r.Sources, r.Exclude})
	if err != nil {
		return err
	}
	key := st.nextKey(name, string(described), content.String())
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	createdBy := name + " "
	if from != "" {
		createdBy += "--from=" + from + " "
	}
	srcs := append([]string{}, r.Sources...)
	for _, f := range r.Inline {
		srcs = append(srcs, "<<"+f.Name)
	}
	createdBy += strings.Join(srcs, " ") + " " + r.Dest
	return b.writeLayer(st, createdBy, key, true, func(root string, _ []string, _ *image.LayerDir) error {
		err := p.Into(root)
		if errors.Is(err, unix.EINVAL) && r.Chown != "" {
			return fmt.Errorf("%w: --chown=%s names an id outside the ids urun maps (your uid and your range in /etc/subuid and /etc/subgid): ask your administrator for a larger range", err, r.Chown)
		}
		return err
	})
}
