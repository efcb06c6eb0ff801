//go:build containers_image_openpgp && exclude_graphdriver_btrfs

// Package build builds images from Dockerfiles (`urun build`), in urun's
// user namespace, with the store's own layers: each RUN, COPY or ADD
// step writes its layer where the store keeps it (the upper directory of
// an overlay mount of the layers below), and the layer is committed
// without a copy (image.WriteLayer). RUN runs urun's container init
// (urun-init) in new PID, mount, UTS and IPC namespaces of the same user
// namespace, so the image's users are the ones `urun run` maps.
//
// Every step has a cache key: a digest of its parent's key, the
// instruction with its words expanded, the ARGs in scope and, for COPY
// and ADD, the content of what is copied. A step whose key is in the
// build cache (image.LookupBuildCache) is not run again.
package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/trace"
)

// Options are a build's flags.
type Options struct {
	Context ContextOptions
	// Tags name the image (normalised references).
	Tags      []string
	BuildArgs map[string]string
	Target    string
	NoCache   bool
	// Pull is "missing" (the default), "always" or "never": when base
	// images are pulled.
	Pull    string
	Labels  map[string]string
	Quiet   bool
	IIDFile string
	// Network is RUN's network: "default" or "host" (the caller's, which
	// is what a rootless build can reach the world through) or "none".
	Network string
	// Secrets map a secret's id to the file it is read from.
	Secrets map[string]string
	// Format is "docker" (the default) or "oci".
	Format    string
	TLSVerify *bool
	// AddHosts are NAME:IP lines RUN's /etc/hosts gets (--add-host).
	AddHosts []string
	// ShmSize is RUN's /dev/shm size in bytes (0: Docker's 64 MiB);
	// Ulimits are RUN's TYPE=SOFT[:HARD] resource limits.
	ShmSize int64
	Ulimits []string
	// Out receives the steps and RUN's output; Err notes and warnings.
	Out, Err io.Writer
}

// Result is a built image.
type Result struct {
	Image *local.Image
}

// StepError is a step that failed: exit status 1, as Docker's.
type StepError struct {
	Step, Steps int
	File        string
	Line        int
	Instruction string
	Err         error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d/%d (%s:%d) %s: %v", e.Step, e.Steps, e.File, e.Line, e.Instruction, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// builder is one build.
type builder struct {
	ctx   context.Context
	store storage.Store
	cfg   *config.Config
	o     Options
	df    *dockerfile
	bctx  *Context
	out   io.Writer
	tmp   string

	cache buildCache

	globalArgs    map[string]string
	usedBuildArgs map[string]bool
	results       []*stageState
	step, steps   int
	// rootfsNoticeSaid: the notice of a base the stage cannot change
	// (local.RootfsChoice) was printed once.
	rootfsNoticeSaid bool
}

// stageState is a stage as far as it is built.
type stageState struct {
	index  int
	config *image.ConfigFile
	top    string
	layers []image.NewLayer
	key    string
	// args are the stage's ARGs in scope, in order of declaration; a nil
	// value is declared without one.
	args    []stageArg
	cmdSet  bool
	workdir string // a WORKDIR not yet made in a layer
	// baseID is the id of the image the stage starts from, shown once.
	baseID string
}

type stageArg struct {
	name  string
	value *string
}

// Build builds the image the options describe into store.
func Build(ctx context.Context, store storage.Store, cfg *config.Config, o Options) (*Result, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Err == nil {
		o.Err = io.Discard
	}
	tmpDir, err := image.CommandTempDir(store, "build")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer tmpDir.Remove()
	tmp := tmpDir.Path
	o.Context.TempDir = tmp
	trace.Mark("build", "start")
	bctx, err := OpenContext(o.Context)
	if err != nil {
		return nil, err
	}
	trace.Mark("build", "context-read")
	df, err := parseDockerfile(bctx.DockerfileName, bctx.Dockerfile)
	if err != nil {
		return nil, err
	}
	if df.syntax != "" {
		fmt.Fprintf(o.Err, "urun: note: %s asks for the frontend %s (# syntax=): urun builds with its own support of the Dockerfile format instead\n", df.name, df.syntax)
	}
	b := &builder{ctx: ctx, store: store, cfg: cfg, o: o, df: df, bctx: bctx, out: o.Out, tmp: tmp, usedBuildArgs: map[string]bool{}, cache: storeCache{store}}
	if o.Quiet {
		b.out = io.Discard
	}
	if err := b.evalGlobalArgs(); err != nil {
		return nil, err
	}
	target, needed, err := b.plan()
	if err != nil {
		return nil, err
	}
	// Unlike a pull, a build holds the layer-writes lock shared for its
	// whole length: the layers it stores before its image (the steps')
	// must not be swept as orphans meanwhile.
	writes, err := image.BeginLayerWrites(store, &types.SystemContext{})
	if err != nil {
		return nil, err
	}
	defer writes.Done()
	if err := b.buildStages(target, needed); err != nil {
		return nil, err
	}
	b.warnUnusedArgs()
	return b.finish(b.results[target])
}

// plan finds the target stage (--target, else the last) and the stages it
// needs, and counts their steps.
func (b *builder) plan() (int, map[int]bool, error) {
	df := b.df
	target := len(df.stages) - 1
	if b.o.Target != "" {
		i, ok := df.stageIndex(b.o.Target, len(df.stages))
		if !ok {
			return 0, nil, fmt.Errorf("--target %s: %s has no stage of that name (its stages: %s)", b.o.Target, df.name, df.stageNames())
		}
		target = i
	}
	needed, err := b.neededStages(target)
	if err != nil {
		return 0, nil, err
	}
	for i, s := range df.stages {
		if needed[i] {
			b.steps += 1 + len(s.Commands)
		}
	}
	return target, needed, nil
}

// buildStages builds the needed stages up to target, in order.
func (b *builder) buildStages(target int, needed map[int]bool) error {
	b.results = make([]*stageState, len(b.df.stages))
	for i := 0; i <= target; i++ {
		if !needed[i] {
			continue
		}
		if err := b.buildStage(i); err != nil {
			return err
		}
	}
	return nil
}

func (df *dockerfile) stageNames() string {
	var names []string
	for i, s := range df.stages {
		if s.Name != "" {
			names = append(names, s.Name)
		} else {
			names = append(names, fmt.Sprint(i))
		}
	}
	return strings.Join(names, ", ")
}

// evalGlobalArgs evaluates the ARGs before the first FROM, which only FROM
// lines see (and stages that declare them again).
func (b *builder) evalGlobalArgs() error {
	b.globalArgs = platformArgs()
	for _, a := range b.df.metaArgs {
		for _, kv := range a.Args {
			if v, ok := b.o.BuildArgs[kv.Key]; ok {
				b.usedBuildArgs[kv.Key] = true
				b.globalArgs[kv.Key] = v
				continue
			}
			if kv.Value == nil {
				if _, ok := b.globalArgs[kv.Key]; !ok {
					delete(b.globalArgs, kv.Key)
				}
				continue
			}
			v, err := b.expandWith(*kv.Value, b.globalEnv())
			if err != nil {
				return &lineError{file: b.df.name, line: lineOf(&a), err: err}
			}
			b.globalArgs[kv.Key] = v
		}
	}
	return nil
}

func (b *builder) globalEnv() []string {
	env := make([]string, 0, len(b.globalArgs))
	for k, v := range b.globalArgs {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

func (b *builder) expandWith(word string, env []string) (string, error) {
	out, _, err := b.df.lex.ProcessWord(word, envGetter(env))
	return out, err
}

// neededStages are the stages the target depends on: its base stage,
// those it copies from or mounts, and theirs.
func (b *builder) neededStages(target int) (map[int]bool, error) {
	needed := map[int]bool{}
	var visit func(i int) error
	visit = func(i int) error {
		if needed[i] {
			return nil
		}
		needed[i] = true
		s := b.df.stages[i]
		base, err := b.expandWith(s.BaseName, b.globalEnv())
		if err != nil {
			return &lineError{file: b.df.name, line: lineOfStage(s), err: err}
		}
		if j, ok := b.df.stageByName(base, i); ok {
			if err := visit(j); err != nil {
				return err
			}
		}
		for _, c := range s.Commands {
			for _, from := range commandSources(c) {
				from, err := b.expandWith(from, b.globalEnv())
				if err != nil {
					return &lineError{file: b.df.name, line: lineOf(c), err: err}
				}
				if j, ok := b.df.stageIndex(from, i); ok {
					if err := visit(j); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return needed, visit(target)
}

// stageByName finds a stage a FROM names, which must be by name.
func (df *dockerfile) stageByName(name string, n int) (int, bool) {
	for i := 0; i < n; i++ {
		if df.stages[i].Name != "" && strings.EqualFold(df.stages[i].Name, name) {
			return i, true
		}
	}
	return 0, false
}

func lineOfStage(s instructions.Stage) int {
	if len(s.Location) > 0 {
		return s.Location[0].Start.Line
	}
	return 0
}

// commandSources are the stages or images a command reads from.
func commandSources(c instructions.Command) []string {
	switch c := c.(type) {
	case *instructions.CopyCommand:
		if c.From != "" {
			return []string{c.From}
		}
	case *instructions.RunCommand:
		var from []string
		for _, m := range instructions.GetMounts(c) {
			if m.From != "" {
				from = append(from, m.From)
			}
		}
		return from
	}
	return nil
}

func (b *builder) printStep(text string) {
	b.step++
	fmt.Fprintf(b.out, "Step %d/%d : %s\n", b.step, b.steps, text)
}

// buildStage builds stage i from its FROM on.
func (b *builder) buildStage(i int) error {
	s := b.df.stages[i]
	from := "FROM " + s.BaseName
	if s.Name != "" {
		from += " AS " + s.Name
	}
	b.printStep(from)
	st, err := b.fromBase(i, s)
	if err != nil {
		return &StepError{Step: b.step, Steps: b.steps, File: b.df.name, Line: lineOfStage(s), Instruction: from, Err: err}
	}
	b.printID(st)
	trace.Mark("build", fmt.Sprintf("step%d-from-done", b.step))
	if triggers := st.config.Config.OnBuild; len(triggers) > 0 {
		st.config.Config.OnBuild = nil
		fmt.Fprintf(b.out, " # Executing %d build trigger", len(triggers))
		if len(triggers) > 1 {
			fmt.Fprint(b.out, "s")
		}
		fmt.Fprintln(b.out)
		for _, t := range triggers {
			c, err := parseTrigger(t)
			if err != nil {
				return &StepError{Step: b.step, Steps: b.steps, File: b.df.name, Line: lineOfStage(s), Instruction: "ONBUILD " + t, Err: err}
			}
			if err := b.execute(st, c); err != nil {
				return &StepError{Step: b.step, Steps: b.steps, File: b.df.name, Line: lineOfStage(s), Instruction: "ONBUILD " + t, Err: err}
			}
		}
	}
	for _, c := range s.Commands {
		text := commandText(c)
		b.printStep(text)
		if err := b.execute(st, c); err != nil {
			var se *StepError
			if errors.As(err, &se) {
				return err
			}
			return &StepError{Step: b.step, Steps: b.steps, File: b.df.name, Line: lineOf(c), Instruction: text, Err: err}
		}
		b.printID(st)
		trace.Mark("build", fmt.Sprintf("step%d-%s-done", b.step, c.Name()))
	}
	if st.workdir != "" {
		// A WORKDIR that no later step wrote in is made now.
		if err := b.makeWorkdirLayer(st); err != nil {
			return &StepError{Step: b.step, Steps: b.steps, File: b.df.name, Line: lineOfStage(s), Instruction: "WORKDIR " + st.config.Config.WorkingDir, Err: err}
		}
	}
	b.results[i] = st
	return nil
}

// commandText is an instruction as the Dockerfile has it.
func commandText(c instructions.Command) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return strings.ToUpper(c.Name())
}

func (b *builder) printID(st *stageState) {
	if st.baseID != "" {
		fmt.Fprintf(b.out, " ---> %s\n", st.baseID[:12])
		st.baseID = ""
		return
	}
	id, err := st.imageID()
	if err == nil {
		fmt.Fprintf(b.out, " ---> %s\n", id.Encoded()[:12])
	}
}

// imageID is the id an image of the stage as it stands would have.
func (st *stageState) imageID() (digest.Digest, error) {
	data, err := json.Marshal(st.config)
	if err != nil {
		return "", err
	}
	return digest.FromBytes(data), nil
}

// fromBase starts stage i from its base: an earlier stage, scratch or an
// image.
func (b *builder) fromBase(i int, s instructions.Stage) (*stageState, error) {
	base, err := b.expandWith(s.BaseName, b.globalEnv())
	if err != nil {
		return nil, err
	}
	if base == "" {
		return nil, fmt.Errorf("FROM names no image once its ARGs are expanded: give the ARG a default or a --build-arg")
	}
	if s.Platform != "" {
		p, err := b.expandWith(s.Platform, b.globalEnv())
		if err != nil {
			return nil, err
		}
		if err := checkPlatform(p); err != nil {
			return nil, err
		}
	}
	if j, ok := b.df.stageByName(base, i); ok {
		parent := b.results[j]
		st := &stageState{index: i, top: parent.top, key: digest.FromString("stage\x00" + parent.key).Encoded()}
		st.layers = slices.Clone(parent.layers)
		st.config = cloneConfig(parent.config)
		return st, nil
	}
	if strings.EqualFold(base, "scratch") {
		c := &image.ConfigFile{Architecture: platformArgs()["TARGETARCH"], OS: "linux", RootFS: image.ConfigRootFS{Type: "layers", DiffIDs: []digest.Digest{}}}
		c.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		return &stageState{index: i, config: c, key: digest.FromString("scratch").Encoded()}, nil
	}
	img, err := b.baseImage(base)
	if err != nil {
		return nil, err
	}
	return b.stateOfImage(i, img)
}

// baseImage finds or pulls an image a FROM or COPY --from names.
func (b *builder) baseImage(ref string) (*storage.Image, error) {
	pull := b.o.Pull
	if pull == "" {
		pull = "missing"
	}
	if pull != "always" {
		img, _, err := image.Resolve(b.store, ref)
		if err == nil {
			return img, nil
		}
		if !errors.Is(err, image.ErrNoSuchImage) {
			return nil, err
		}
		if pull == "never" {
			return nil, fmt.Errorf("image %s is not stored and --pull=never: pull it first (urun pull %s)", ref, ref)
		}
	}
	// The pull's report (bars on a terminal) goes with the notes, as
	// BuildKit's does, not into the build's output.
	var progress io.Writer
	if !b.o.Quiet {
		progress = b.o.Err
	}
	rec, err := image.Pull(b.ctx, b.store, ref, image.PullOptions{Progress: progress, TLSVerify: b.o.TLSVerify})
	if err != nil {
		return nil, err
	}
	return b.store.Image(rec.ID)
}

// stateOfImage starts a stage from a stored image.
func (b *builder) stateOfImage(i int, img *storage.Image) (*stageState, error) {
	c, err := image.ReadConfigFile(b.store, img)
	if err != nil {
		return nil, err
	}
	st := &stageState{index: i, config: c, top: img.TopLayer, key: digest.FromString("image\x00" + img.ID).Encoded(), baseID: img.ID}
	chain, err := image.LayerChain(b.store, img.TopLayer)
	if err != nil {
		return nil, fmt.Errorf("read the layers of image %s: %w", img.ID, err)
	}
	for _, l := range chain.Layers {
		sl, err := b.store.Layer(l.ID)
		if err != nil {
			return nil, fmt.Errorf("read layer %s: %w", l.ID, err)
		}
		st.layers = append(st.layers, image.NewLayer{ID: l.ID, DiffID: sl.UncompressedDigest, Size: sl.UncompressedSize})
	}
	if len(st.layers) != len(c.RootFS.DiffIDs) {
		return nil, fmt.Errorf("image %s lists %d layers in its configuration but has %d in the store", img.ID, len(c.RootFS.DiffIDs), len(st.layers))
	}
	return st, nil
}

func cloneConfig(c *image.ConfigFile) *image.ConfigFile {
	data, _ := json.Marshal(c)
	var out image.ConfigFile
	_ = json.Unmarshal(data, &out)
	return &out
}

func checkPlatform(p string) error {
	want := "linux/" + platformArgs()["TARGETARCH"]
	if v := platformArgs()["TARGETVARIANT"]; v != "" {
		want += "/" + v
	}
	if p == want || p == "linux/"+platformArgs()["TARGETARCH"] {
		return nil
	}
	return fmt.Errorf("platform %s: urun builds for the host's platform only (%s)", p, want)
}

// finish stores the target stage as the image.
func (b *builder) finish(st *stageState) (*Result, error) {
	if len(b.o.Labels) > 0 {
		if st.config.Config.Labels == nil {
			st.config.Config.Labels = map[string]string{}
		}
		for k, v := range b.o.Labels {
			st.config.Config.Labels[k] = v
		}
	}
	data, err := json.Marshal(st.config)
	if err != nil {
		return nil, fmt.Errorf("encode the image's configuration: %w", err)
	}
	created := time.Now().UTC()
	if st.config.Created != nil {
		created = *st.config.Created
	}
	var names []string
	for _, t := range b.o.Tags {
		n, err := local.Normalize(t)
		if err != nil {
			return nil, fmt.Errorf("-t %s: %w: give NAME[:TAG]", t, err)
		}
		names = append(names, n)
	}
	rec, err := image.StoreImage(b.ctx, b.store, image.NewImage{Config: data, Layers: st.layers, TopLayer: st.top, Format: b.o.Format, Created: created}, names)
	if err != nil {
		return nil, err
	}
	trace.Mark("build", "image-stored")
	fmt.Fprintf(b.out, "Successfully built %s\n", rec.ID[:12])
	for _, n := range names {
		fmt.Fprintf(b.out, "Successfully tagged %s\n", familiarName(n))
	}
	if b.o.IIDFile != "" {
		if err := os.WriteFile(b.o.IIDFile, []byte("sha256:"+rec.ID), 0o644); err != nil {
			return nil, fmt.Errorf("--iidfile: %w", err)
		}
	}
	return &Result{Image: rec}, nil
}

// familiarName is a normalised name as Docker shows it: without
// docker.io/library/ or docker.io/.
func familiarName(name string) string {
	for _, prefix := range []string{"docker.io/library/", "docker.io/"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			return rest
		}
	}
	return name
}

func (b *builder) warnUnusedArgs() {
	var unused []string
	for k := range b.o.BuildArgs {
		if !b.usedBuildArgs[k] && !proxyArgs[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		slices.Sort(unused)
		fmt.Fprintf(b.o.Err, "[Warning] One or more build-args [%s] were not consumed\n", strings.Join(unused, " "))
	}
}

// addHistory records a step in the configuration.
func (st *stageState) addHistory(createdBy string, emptyLayer bool) {
	now := time.Now().UTC()
	st.config.Created = &now
	st.config.History = append(st.config.History, imgspecv1.History{Created: &now, CreatedBy: createdBy, EmptyLayer: emptyLayer})
}

// nextKey is the cache key of a step of st described by what.
func (st *stageState) nextKey(what ...string) string {
	h := digest.Canonical.Digester()
	io.WriteString(h.Hash(), st.key)
	for _, w := range what {
		io.WriteString(h.Hash(), "\x00")
		io.WriteString(h.Hash(), w)
	}
	return h.Digest().Encoded()
}

// cached applies the cache entry of key to st, if there is one.
func (b *builder) cached(st *stageState, key string) (bool, error) {
	if b.o.NoCache {
		return false, nil
	}
	e, err := b.cache.lookup(key)
	if err != nil || e == nil {
		return false, err
	}
	var c image.ConfigFile
	if err := json.Unmarshal(e.Config, &c); err != nil {
		return false, nil
	}
	if e.TopLayer != st.top {
		// The cached layer was made with any pending WORKDIR in it.
		st.workdir = ""
	}
	st.config, st.top, st.layers, st.key = &c, e.TopLayer, e.Layers, key
	fmt.Fprintln(b.out, " ---> Using cache")
	return true, nil
}

// buildCache is where steps' results are kept: the store's build cache.
type buildCache interface {
	lookup(key string) (*image.CacheEntry, error)
	store(key string, e *image.CacheEntry) error
}

type storeCache struct{ s storage.Store }

func (c storeCache) lookup(key string) (*image.CacheEntry, error) {
	return image.LookupBuildCache(c.s, key)
}

func (c storeCache) store(key string, e *image.CacheEntry) error {
	return image.StoreBuildCache(c.s.GraphRoot(), key, e)
}

// remember stores st, just arrived at key, in the build cache.
func (b *builder) remember(st *stageState, key string) error {
	st.key = key
	data, err := json.Marshal(st.config)
	if err != nil {
		return err
	}
	return b.cache.store(key, &image.CacheEntry{TopLayer: st.top, Layers: st.layers, Config: data})
}

// workdirPath is a WORKDIR's path made absolute against the current one.
func workdirPath(current, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if current == "" {
		current = "/"
	}
	return path.Join(current, p)
}
