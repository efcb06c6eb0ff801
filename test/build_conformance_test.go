package test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// `urun build` against rootless `podman build --format docker` (buildah
// inside): each case of test/testdata/build is built by both from the same
// context, both images are saved, and their file systems (owners, modes,
// contents, links; not times) and configurations (normalised: see
// normalizedConfig) must be the same. What podman 4.3 cannot build
// (heredocs) is compared with what the test expects instead.

// buildTimeout bounds one build.
const buildTimeout = 5 * time.Minute

// buildReferenceOnly builds the cases with podman alone and logs what each
// changes of its base: to see what a case makes without urun's builder
// (`bash hack/test.sh integration -test.run TestBuildMatchesPodman
// -build.reference-only`).
var buildReferenceOnly = flag.Bool("build.reference-only", false, "TestBuildMatchesPodman: build the cases with podman only and log what they make")

// buildTestdata holds the cases: the suite binary runs away from its
// source tree.
//
//go:embed all:testdata/build
var buildTestdata embed.FS

// buildCase is one directory of test/testdata/build.
type buildCase struct {
	name string
	// builds are made in order, each compared; none: one of Dockerfile.
	builds []caseBuild
	// ignore lists paths left out of the comparison (see the case for why).
	ignore []string
}

// caseBuild is one build of a case.
type caseBuild struct {
	dockerfile string   // in the case's directory; "" is Dockerfile
	tag        string   // "" is localhost/conf-CASE
	flags      []string // given to both builders
}

var envArgBuildArgs = []string{"--build-arg", "FROMCLI=cli", "--build-arg", "AFTER=late", "--build-arg", "LOCAL=override", "--build-arg", "GLOBAL=global-cli"}

var buildCases = []buildCase{
	{name: "copy-paths"},
	{name: "copy-symlink-dest"},
	{name: "context-symlinks"},
	{name: "whiteouts"},
	{name: "env-arg", builds: []caseBuild{
		// The first stage's configuration (ENV, LABEL, WORKDIR, EXPOSE
		// expanded), then the whole.
		{tag: "localhost/conf-env-arg-first", flags: append([]string{"--target", "first"}, envArgBuildArgs...)},
		{flags: envArgBuildArgs},
	}},
	{name: "dockerignore"},
	{name: "multistage"},
	{name: "chown-chmod"},
	{name: "user-workdir"},
	{name: "volume"},
	{name: "onbuild", builds: []caseBuild{
		{dockerfile: "Dockerfile.base", tag: "localhost/conf-onbuild-base"},
		{},
	}},
	{name: "metadata"},
	{name: "entrypoint-cmd", builds: []caseBuild{
		{tag: "localhost/conf-entrypoint-cmd-keeps", flags: []string{"--target", "keeps"}},
		{},
	}},
	{name: "add-tar"},
	{name: "add-url"},
	{name: "scratch"},
	{name: "from-app-config"},
}

func TestBuildMatchesPodman(t *testing.T) {
	pm := newPodmanWorld(t)
	var e *env
	if !*buildReferenceOnly {
		e = newEnv(t)
	}
	files := serveBuildFiles(t)
	for _, c := range buildCases {
		t.Run(c.name, func(t *testing.T) {
			ctx := caseContext(t, c.name, map[string]string{"{{http}}": files.URL})
			builds := c.builds
			if len(builds) == 0 {
				builds = []caseBuild{{}}
			}
			for _, b := range builds {
				tag := b.tag
				if tag == "" {
					tag = "localhost/conf-" + c.name
				}
				flags := slicesClone(b.flags)
				if b.dockerfile != "" {
					flags = append(flags, "-f", filepath.Join(ctx, b.dockerfile))
				}
				out := mkTemp(t)
				podmanArchive := filepath.Join(out, "podman.tar")
				pm.run(t, buildTimeout, append(append([]string{"build", "--format", "docker", "-t", tag}, flags...), ctx)...).ok(t)
				pm.run(t, time.Minute, "save", "--format", "docker-archive", "-o", podmanArchive, tag).ok(t)
				want, err := readImageArchive(podmanArchive, tag)
				require.NoError(t, err, "podman's image")
				if *buildReferenceOnly {
					logReference(t, pm, tag, want)
					continue
				}
				urunArchive := filepath.Join(out, "urun.tar")
				e.urunWith(t, runConf{timeout: buildTimeout}, append(append([]string{"build", "-t", tag}, flags...), ctx)...).ok(t)
				e.urun(t, "save", "-o", urunArchive, tag).ok(t)
				got, err := readImageArchive(urunArchive, tag)
				require.NoError(t, err, "urun's image")
				if diffs := compareImages(want, got, "podman", "urun", compareOptions{ignore: c.ignore}); len(diffs) > 0 {
					t.Errorf("%s: urun's image differs from podman's:\n  %s", tag, strings.Join(diffs, "\n  "))
				}
			}
		})
	}
}

// logReference logs what podman's image of a case changes of its base
// (the busybox fixture) and its configuration.
func logReference(t *testing.T, pm *podmanWorld, tag string, img *imageTree) {
	t.Helper()
	base := pm.busyboxTree(t)
	if _, ok := img.files["/bin/busybox"]; !ok {
		base = &imageTree{files: map[string]treeNode{}} // from scratch
	}
	changes := treeChanges(base, img)
	var paths []string
	for p := range changes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		if changes[p] == nil {
			fmt.Fprintf(&b, "  %s removed\n", p)
		} else {
			fmt.Fprintf(&b, "  %s %s\n", p, changes[p])
		}
	}
	t.Logf("%s changes of busybox:\n%sconfiguration: %s", tag, b.String(), jsonText(normalizedConfig(img, compareOptions{historyCreatedBy: true})))
}

// caseContext makes a build context: the standard files, then the case's
// directory of test/testdata/build with each replacement of vars and of
// the fixtures' names ({{busybox}}, {{app}}) made in its Dockerfiles.
func caseContext(t *testing.T, name string, vars map[string]string) string {
	t.Helper()
	ctx := filepath.Join(mkTemp(t), "context")
	require.NoError(t, os.Mkdir(ctx, 0o755))
	writeStandardContext(t, ctx)
	src := "testdata/build/" + name
	repl := []string{"{{busybox}}", busyboxRef, "{{app}}", appRef}
	for k, v := range vars {
		repl = append(repl, k, v)
	}
	r := strings.NewReplacer(repl...)
	err := fs.WalkDir(buildTestdata, src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(ctx, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, src), "/")))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := buildTestdata.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), "Dockerfile") {
			data = []byte(r.Replace(string(data)))
		}
		return os.WriteFile(dst, data, 0o644)
	})
	require.NoError(t, err, "copy %s", src)
	return ctx
}

// writeStandardContext writes the files every case's context starts with,
// with what git does not keep: modes, empty directories, symlinks, tars.
// (No setuid file: podman 4.3 drops the bit when it copies one from the
// context; RUN chmod and ADD of a tar check such modes.)
func writeStandardContext(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []struct {
		name string
		mode fs.FileMode
	}{{"dir", 0o750}, {"dir/sub", 0o700}, {"empty", 0o755}} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d.name), 0o700))
		defer os.Chmod(filepath.Join(dir, d.name), d.mode) // after the files are in
	}
	for _, f := range []struct {
		name, body string
		mode       fs.FileMode
	}{
		{"a.txt", "a\n", 0o644},
		{"b.txt", "b\n", 0o600},
		{"c.md", "c\n", 0o644},
		{"exec.sh", "#!/bin/sh\necho exec\n", 0o755},
		{"dir/x", "x\n", 0o640},
		{"dir/sub/y", "y\n", 0o644},
		{"dir/.hidden", "h\n", 0o644},
	} {
		p := filepath.Join(dir, f.name)
		require.NoError(t, os.WriteFile(p, []byte(f.body), 0o600))
		require.NoError(t, os.Chmod(p, f.mode))
	}
	for link, target := range map[string]string{
		"dir/link-to-x": "x",
		"dir/abs-link":  "/etc/passwd",
		"dir/dangling":  "nowhere",
		"link-to-a":     "a.txt",
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(dir, link)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "archive.tar.gz"), gzipped(t, testArchive(t)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.tar"), tarOf(t, []*tar.Header{
		{Name: "plain/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "plain/p", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2},
	}, map[string]string{"plain/p": "p\n"}), 0o644))
}

// testArchive is a tar with owners, a symlink, a hard link and a setuid
// file: what ADD must unpack as it is.
func testArchive(t *testing.T) []byte {
	return tarOf(t, []*tar.Header{
		{Name: "tarred/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "tarred/f1", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1234, Gid: 5678, Size: 3},
		{Name: "tarred/link", Typeflag: tar.TypeSymlink, Linkname: "f1"},
		{Name: "tarred/hard", Typeflag: tar.TypeLink, Linkname: "tarred/f1", Mode: 0o644, Uid: 1234, Gid: 5678},
		{Name: "tarred/suid", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 2},
		{Name: "tarred/sub/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 1000, Gid: 1000},
	}, map[string]string{"tarred/f1": "f1\n", "tarred/suid": "s\n"})
}

func tarOf(t *testing.T, headers []*tar.Header, bodies map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range headers {
		h.ModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		h.Format = tar.FormatPAX
		require.NoError(t, tw.WriteHeader(h))
		if body, ok := bodies[h.Name]; ok {
			_, err := tw.Write([]byte(body))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// serveBuildFiles serves what the add-url case downloads, on 127.0.0.1
// (the builders fetch from the host's network).
func serveBuildFiles(t *testing.T) *httptest.Server {
	t.Helper()
	archive := gzipped(t, testArchive(t))
	mux := http.NewServeMux()
	mux.HandleFunc("/files/remote.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "remote\n") })
	mux.HandleFunc("/files/archive.tar.gz", func(w http.ResponseWriter, r *http.Request) { w.Write(archive) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// podmanWorld is rootless podman as the suite's user, in a throw-away
// world of its own (store, run root, XDG directories, HOME, TMPDIR):
// nothing of the user's own podman is used or touched. Configured as the
// bench configures it for a host without systemd: cgroupfs, events in a
// file, overlay storage, and runc when it is installed (Debian 12's crun
// refuses a cgroup v1/v2 hybrid host).
type podmanWorld struct {
	dir   string
	flags []string
	env   []string
	// busybox is the busybox fixture's tree as podman saves it, once.
	busybox *imageTree
}

func newPodmanWorld(t *testing.T) *podmanWorld {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatalf("podman is not installed: hack/setup-host.sh test installs it (%v)", err)
	}
	dir := mkTemp(t)
	p := &podmanWorld{dir: dir}
	for _, d := range []string{"home", "config/containers", "data", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "xdg-run"), 0o700))
	conf := filepath.Join(dir, "config", "containers", "registries.conf")
	require.NoError(t, os.WriteFile(conf, []byte(insecureLocalRegistry()), 0o600))
	p.env = []string{
		"HOME=" + filepath.Join(dir, "home"),
		"USER=" + os.Getenv("USER"),
		"LOGNAME=" + os.Getenv("LOGNAME"),
		"PATH=" + os.Getenv("PATH"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "xdg-run"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
		// podman 4.3 reads registries.conf from ~/.config, not XDG_CONFIG_HOME.
		"CONTAINERS_REGISTRIES_CONF=" + conf,
	}
	p.flags = []string{
		"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "overlay", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
	}
	if runc, err := exec.LookPath("runc"); err == nil {
		p.flags = append(p.flags, "--runtime", runc)
	}
	// Registered after mkTemp's: runs before the directory is removed.
	t.Cleanup(p.stop)
	return p
}

// stop ends the world's pause process (rootless podman's keeper of its
// user namespace, which would outlive the test).
func (p *podmanWorld) stop() {
	b, err := os.ReadFile(filepath.Join(p.dir, "xdg-run", "libpod", "tmp", "pause.pid"))
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// run runs podman with the world's flags and environment.
func (p *podmanWorld) run(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	return p.runWith(t, runConf{timeout: timeout}, args...)
}

func (p *podmanWorld) runWith(t *testing.T, c runConf, args ...string) result {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "podman", append(slicesClone(p.flags), args...)...)
	cmd.Env = p.env
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{
		cmdline: "podman " + shellQuote(args),
		stdout:  stdout.String(),
		stderr:  stderr.String(),
		code:    -1,
		err:     err,
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.timedOut = true
	case err == nil:
		r.code = 0
	case errors.As(err, &exitErr) && exitErr.Exited():
		r.code = exitErr.ExitCode()
	}
	t.Logf("$ %s  (%.2fs) %s", r.cmdline, time.Since(start).Seconds(), r.describe())
	return r
}

// busyboxTree is the busybox fixture as podman pulls and saves it.
func (p *podmanWorld) busyboxTree(t *testing.T) *imageTree {
	t.Helper()
	if p.busybox == nil {
		archive := filepath.Join(mkTemp(t), "busybox.tar")
		p.run(t, time.Minute, "pull", "-q", busyboxRef).ok(t)
		p.run(t, time.Minute, "save", "--format", "docker-archive", "-o", archive, busyboxRef).ok(t)
		img, err := readImageArchive(archive, "")
		require.NoError(t, err)
		p.busybox = img
	}
	return p.busybox
}

// jsonText is v as indented JSON, for logs.
func jsonText(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestBuildFollowsDockerWherePodmanDiffers checks what podman 4.3 (buildah
// 1.28) cannot build (heredocs) or builds otherwise than Docker (an EXPOSE
// range, SHELL before a shell-form ENTRYPOINT or CMD) against what Docker
// makes, written here: the changes of the busybox fixture and fields of
// the run configuration.
func TestBuildFollowsDockerWherePodmanDiffers(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	base := savedTree(t, e, busyboxRef)
	file := func(content string) *treeNode { n := wantFile(content, 0o644); return &n }
	for _, c := range []struct {
		name       string
		dockerfile string
		flags      []string
		changes    map[string]*treeNode
		config     map[string]any // fields of the run configuration, as JSON decodes them
	}{
		{
			name: "RUN heredocs",
			dockerfile: `FROM {{busybox}}
RUN <<EOF
echo one > /h1
echo two >> /h1
EOF
RUN cat > /h2 <<EOF
line
EOF
RUN <<-EOT
	echo tabs > /h3
	EOT
RUN <<EOF sh -s arg1
echo "$1" > /h4
EOF
`,
			// The last heredoc feeds a command, so BuildKit hands the whole
			// text to sh -c, whose own heredoc expands "$1" (unset there)
			// before "sh -s arg1" reads it: /h4 holds an empty line.
			changes: map[string]*treeNode{
				"/h1": file("one\ntwo\n"), "/h2": file("line\n"), "/h3": file("tabs\n"), "/h4": file("\n"),
			},
		},
		{
			// Docker's builder makes a WORKDIR's directory at once, the
			// USER's; podman 4.3 makes none when no later step writes.
			name: "WORKDIR that ends a stage",
			dockerfile: `FROM {{busybox}}
USER 1000:1001
WORKDIR /made/here
`,
			changes: map[string]*treeNode{
				"/made":      func() *treeNode { n := wantDir(0o755); return &n }(),
				"/made/here": func() *treeNode { n := wantDir(0o755).ownedBy(1000, 1001); return &n }(),
			},
		},
		{
			name: "COPY heredocs",
			dockerfile: `FROM {{busybox}}
ARG NAME=world
COPY <<EOF /c1
hello $NAME
EOF
COPY <<'EOF' /c2
hello $NAME
EOF
COPY <<A <<B /cdir/
aaa
A
bbb
B
COPY --chmod=0755 --chown=1000:1001 <<EOF /c3.sh
#!/bin/sh
echo x
EOF
`,
			flags: []string{"--build-arg", "NAME=you"},
			changes: map[string]*treeNode{
				"/c1":     file("hello you\n"),
				"/c2":     file("hello $NAME\n"),
				"/cdir":   func() *treeNode { n := wantDir(0o755); return &n }(),
				"/cdir/A": file("aaa\n"),
				"/cdir/B": file("bbb\n"),
				"/c3.sh":  func() *treeNode { n := wantFile("#!/bin/sh\necho x\n", 0o755).ownedBy(1000, 1001); return &n }(),
			},
		},
		{
			name: "EXPOSE ranges and SHELL for shell forms",
			dockerfile: `FROM {{busybox}}
EXPOSE 9000-9002/udp 7000-7001
SHELL ["/bin/sh", "-xc"]
ENTRYPOINT echo entry
CMD echo cmd
`,
			changes: map[string]*treeNode{},
			config: map[string]any{
				"ExposedPorts": map[string]any{"9000/udp": map[string]any{}, "9001/udp": map[string]any{}, "9002/udp": map[string]any{}, "7000/tcp": map[string]any{}, "7001/tcp": map[string]any{}},
				"Shell":        []any{"/bin/sh", "-xc"},
				"Entrypoint":   []any{"/bin/sh", "-xc", "echo entry"},
				"Cmd":          []any{"/bin/sh", "-xc", "echo cmd"},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := mkTemp(t)
			df := strings.NewReplacer("{{busybox}}", busyboxRef).Replace(c.dockerfile)
			require.NoError(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644))
			tag := "localhost/docker-" + strings.ReplaceAll(strings.ToLower(c.name), " ", "-")
			e.urunWith(t, runConf{timeout: buildTimeout}, append(append([]string{"build", "-t", tag}, c.flags...), ctx)...).ok(t)
			got := savedTree(t, e, tag)
			diffs := compareChanges(base, got, c.changes)
			rc := asMap(normalizedConfig(got, compareOptions{})["config"])
			for k, want := range c.config {
				diffs = append(diffs, jsonDiffs("config."+k, want, rc[k], "Docker", "urun")...)
			}
			if len(diffs) > 0 {
				t.Errorf("%s differs from what Docker builds:\n  %s", tag, strings.Join(diffs, "\n  "))
			}
		})
	}
}

// savedTree is the image ref of e's store as `urun save` writes it.
func savedTree(t *testing.T, e *env, ref string) *imageTree {
	t.Helper()
	archive := filepath.Join(mkTemp(t), "image.tar")
	e.urun(t, "save", "-o", archive, ref).ok(t)
	img, err := readImageArchive(archive, ref)
	require.NoError(t, err, "the image urun saved")
	return img
}
