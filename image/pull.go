//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/configfile"
	"go.podman.io/storage/pkg/lockfile"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/trace"
)

// PullOptions change how Pull talks to registries.
type PullOptions struct {
	// TLSVerify, when set, overrides registries.conf: false allows plain
	// http and unverified certificates for every registry of this pull.
	TLSVerify *bool
	// Progress receives Docker's report of the pull: bars when it is a
	// terminal, lines otherwise (pullreport.go); nil pulls silently.
	Progress io.Writer
	// Platform chooses the image of an index (--platform); zero is the
	// host's.
	Platform Platform
	// StallTimeout ends a blob download that received (almost) nothing
	// for that long; zero is config.DefaultPullStallTimeout.
	StallTimeout time.Duration
}

// Pull copies ref from its registry into store and writes urun's record
// of the image. Short names resolve as with Docker (busybox →
// docker.io/library/busybox:latest); registries.conf(5) still applies,
// so its mirrors, blocked registries and insecure flags are honoured.
func Pull(ctx context.Context, store storage.Store, ref string, opts PullOptions) (*local.Image, error) {
	name, err := local.Normalize(ref)
	if err != nil {
		return nil, err
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", ref, err)
	}
	src, err := docker.NewReference(named)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	stall := opts.StallTimeout
	if stall <= 0 {
		stall = config.DefaultPullStallTimeout
	}
	src = guardReference(src, reference.Domain(named), stall)
	dst, err := istorage.Transport.NewStoreReference(store, named, "")
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	sys := systemContext(store, opts)
	trustLoopback(sys, reference.Domain(named), opts.TLSVerify)
	setPlatform(sys, opts.Platform)
	writes, err := BeginLayerWrites(store, sys)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	defer writes.Done()
	policy, err := loadPolicy(sys)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	policyContext, err := signature.NewPolicyContext(policy)
	if err != nil {
		return nil, fmt.Errorf("pull %s: signature policy: %w", name, err)
	}
	defer policyContext.Destroy()

	report := newPullReport(opts.Progress)
	report.header(ref, named)
	before := ""
	if img, err := store.Image(named.String()); err == nil {
		before = img.ID
	}

	// The layers first, all at once (layers.go): copy.Image finds them.
	trace.Mark("pull", "start")
	stored, err := fetchLayers(ctx, store, src, sys, policyContext, report)
	if err != nil {
		discardFailedPull(writes, name)
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	trace.Mark("pull", "layers-stored")
	// What fetchLayers left to copy.Image shows the library's own bars
	// on a terminal.
	var libraryReport io.Writer
	if !stored && report != nil && report.terminal {
		libraryReport = opts.Progress
	}
	_, err = copy.Image(ctx, policyContext, dst, src, &copy.Options{
		ReportWriter:   libraryReport,
		SourceCtx:      sys,
		DestinationCtx: sys,
	})
	if err != nil {
		discardFailedPull(writes, name)
		return nil, explainCopyError(ctx, sys, src, name, reference.Domain(named), opts.Platform, err)
	}

	trace.Mark("pull", "image-committed")
	img, err := istorage.Transport.GetStoreImage(store, dst)
	if err != nil {
		return nil, fmt.Errorf("pull %s: find the pulled image: %w", name, err)
	}
	warnPlatformMismatch(ctx, store, img, opts.Platform)
	var extra []string
	if _, digested := named.(reference.Digested); digested {
		extra = append(extra, name)
	}
	rec, err := writeRecord(ctx, store, img, extra)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", name, err)
	}
	trace.Mark("pull", "record-written")
	if rec.Digest != "" {
		report.line("Digest: %s", rec.Digest)
	}
	if rec.ID == before {
		report.line("Status: Image is up to date for %s", reference.FamiliarString(named))
	} else {
		report.line("Status: Downloaded newer image for %s", reference.FamiliarString(named))
	}
	return rec, nil
}

// writeRecord records img for `urun run` and brings the other records'
// names up to date, holding a lock so that concurrent pulls do not lose
// each other's changes to the names file (readers need no lock: every
// file is replaced atomically).
func writeRecord(ctx context.Context, store storage.Store, img *storage.Image, extra []string) (*local.Image, error) {
	lock, err := lockfile.GetLockFile(filepath.Join(store.GraphRoot(), "urun-images.lock"))
	if err != nil {
		return nil, fmt.Errorf("lock the image records: %w", err)
	}
	lock.Lock()
	defer lock.Unlock()
	rec, err := Record(ctx, store, img, extra)
	if err != nil {
		return nil, err
	}
	if err := local.Write(store.GraphRoot(), rec); err != nil {
		return nil, err
	}
	if err := SyncNames(store); err != nil {
		return nil, err
	}
	return rec, nil
}

// localSystemContext is the image library's configuration for copies
// between urun's store and files: its blob info cache lives with urun's
// store rather than beside podman's in ~/.local/share/containers, and
// its big temporary files in tmp (a command's TempDir).
func localSystemContext(store storage.Store, tmp string) *types.SystemContext {
	return &types.SystemContext{
		BlobInfoCacheDir:     blobInfoCacheDir(store),
		BigFilesTemporaryDir: tmp,
	}
}

func blobInfoCacheDir(store storage.Store) string {
	return filepath.Join(store.GraphRoot(), "urun-cache")
}

// systemContext is the image library's configuration for a pull: the
// defaults (registries.conf, auth.json, ~/.docker/config.json) plus urun's
// overrides.
func systemContext(store storage.Store, opts PullOptions) *types.SystemContext {
	sys := &types.SystemContext{
		DockerRegistryUserAgent: "urun",
		// Keep the blob cache with urun's store rather than beside
		// podman's in ~/.local/share/containers.
		BlobInfoCacheDir: blobInfoCacheDir(store),
		// $REGISTRY_AUTH_FILE, as `urun login` writes it; else the
		// image library's files.
		AuthFilePath: AuthFilePath(""),
	}
	if opts.TLSVerify != nil {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(!*opts.TLSVerify)
	}
	return sys
}

// loadPolicy reads containers-policy.json(5) from the user's
// $XDG_CONFIG_HOME/containers/policy.json or /etc/containers/policy.json
// (the first found) and accepts any image when neither exists.
func loadPolicy(sys *types.SystemContext) (*signature.Policy, error) {
	policy, err := signature.DefaultPolicy(sys)
	if errors.Is(err, configfile.ErrConfigFileNotFound) {
		return &signature.Policy{Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read signature policy: %w", err)
	}
	return policy, nil
}
