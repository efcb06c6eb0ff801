package test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/urun/urun/test/testbed"
)

// What the tests check of the fixtures' contents (see testbed.BuildFixtures).
const (
	fixturePath = testbed.FixturePath
	layer2Body  = testbed.Layer2Body
	helloBody   = testbed.HelloBody
)

// Set by TestMain.
var (
	// binDir holds urun and urun-image ($URUN_BIN_DIR).
	binDir string
	// urunBin is binDir/urun.
	urunBin string
	// reg is the local registry the fixtures are pushed to.
	reg *testbed.Registry
	// busyboxRef and appRef name the fixture images in reg.
	busyboxRef, appRef string
	// helperRef names the network tests' image: the busybox fixture with
	// this suite binary as /usr/bin/urun-test-helper (see helperMain) and
	// EXPOSE 80/tcp; helperErr says why it could not be built.
	helperRef string
	helperErr error
	// shared is the store most tests run from; see sharedStore.
	shared *env
	// helperEnv is the store of the tests that use the helper image; see
	// helperStore.
	helperEnv *env
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// Inside a container of the network tests this binary is the helper.
	if filepath.Base(os.Args[0]) == helperName {
		return helperMain(os.Args[1:])
	}
	binDir = os.Getenv("URUN_BIN_DIR")
	if binDir == "" {
		fmt.Fprintln(os.Stderr, "FATAL: URUN_BIN_DIR is not set. It must name the directory holding the built urun and urun-image; run `make test` or `make integration` (hack/test.sh sets it).")
		return 2
	}
	if !filepath.IsAbs(binDir) {
		abs, err := filepath.Abs(binDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FATAL: URUN_BIN_DIR=%s: %v\n", binDir, err)
			return 2
		}
		binDir = abs
	}
	for _, name := range []string{"urun", "urun-image", "urun-init"} {
		p := filepath.Join(binDir, name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			fmt.Fprintf(os.Stderr, "FATAL: URUN_BIN_DIR=%s has no executable %s (%v): run `make build` first\n", binDir, name, err)
			return 2
		}
	}
	urunBin = filepath.Join(binDir, "urun")

	work, err := os.MkdirTemp("", "urun-suite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL:", err)
		return 2
	}
	defer func() {
		if err := removeTree(work); err != nil {
			fmt.Fprintf(os.Stderr, "WARNING: could not remove the suite's directory %s: %v\n", work, err)
		}
	}()

	reg, err = testbed.StartRegistry(filepath.Join(work, "registry"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL: start the local registry:", err)
		return 2
	}
	defer reg.Stop()

	fixtures, err := testbed.BuildFixtures()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL: build the fixture images:", err)
		return 2
	}
	for _, img := range fixtures.All() {
		if err := reg.Push(img); err != nil {
			fmt.Fprintf(os.Stderr, "FATAL: push %s to the local registry: %v\n", img.Name(), err)
			return 2
		}
		fmt.Printf("fixture %s pushed (manifest %s)\n", reg.Ref(img), img.Digest)
	}
	fmt.Printf("suite: running as uid %d gid %d (USER=%s), binaries in %s, registry %s, XDG_RUNTIME_DIR=%q\n",
		os.Getuid(), os.Getgid(), os.Getenv("USER"), binDir, reg.Addr(), os.Getenv("XDG_RUNTIME_DIR"))
	busyboxRef = reg.Ref(fixtures.Busybox)
	appRef = reg.Ref(fixtures.App)
	helperRef, helperErr = pushHelperImage(fixtures.Busybox)
	if helperErr != nil {
		fmt.Fprintf(os.Stderr, "WARNING: the network tests' helper image: %v (the tests that use it fail with this)\n", helperErr)
	} else {
		fmt.Printf("fixture %s pushed (this suite binary as %s)\n", helperRef, helperPath)
	}

	shared, err = makeEnv(filepath.Join(work, "shared"), envOptions{defaultRunRoot: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL: create the shared store's directories:", err)
		return 2
	}
	// A short run root: a container's sockets live under it, and a unix
	// socket's path has at most 107 bytes (TestPublishWithALongRunRoot
	// tests a long one on purpose).
	shortRun, err := os.MkdirTemp("", "urh")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL:", err)
		return 2
	}
	defer func() {
		if err := removeTree(shortRun); err != nil {
			fmt.Fprintf(os.Stderr, "WARNING: could not remove %s: %v\n", shortRun, err)
		}
	}()
	helperEnv, err = makeEnv(filepath.Join(work, "helper"), envOptions{runRoot: shortRun})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FATAL: create the helper store's directories:", err)
		return 2
	}
	return m.Run()
}

// pushHelperImage builds and pushes helperRef's image.
func pushHelperImage(busybox *testbed.Image) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	img, err := testbed.Derive(busybox, testbed.DeriveOptions{
		Repo: "test/nethelper", Tag: "latest",
		Programs:     []testbed.HostProgram{{Source: self, Target: helperPath}},
		ExposedPorts: []string{"80/tcp"},
	})
	if err != nil {
		return "", err
	}
	if err := reg.Push(img); err != nil {
		return "", fmt.Errorf("push %s: %w", img.Name(), err)
	}
	return reg.Ref(img), nil
}

var helperPull struct {
	once sync.Once
	err  error
}

// helperStore returns the store that holds the helper image (pulled by
// the first test that asks for it) and the image's reference. It is not
// the shared store, whose image list other tests check.
func helperStore(t *testing.T) (*env, string) {
	t.Helper()
	if helperErr != nil {
		t.Fatalf("the helper image could not be built: %v", helperErr)
	}
	helperPull.once.Do(func() {
		if res := helperEnv.urun(t, "pull", helperRef); res.code != 0 {
			helperPull.err = fmt.Errorf("%s: %s", res.cmdline, res.describe())
		}
	})
	if helperPull.err != nil {
		t.Fatalf("the helper store could not pull the helper image: %v", helperPull.err)
	}
	return helperEnv, helperRef
}

var sharedPull struct {
	once sync.Once
	err  error
}

// sharedStore returns the store shared by the tests that only run
// containers: it has default directories (graph root under its
// XDG_DATA_HOME, the run root urun falls back to without XDG_RUNTIME_DIR)
// and both fixtures, pulled by the first test that asks for it. Tests of
// pulling use a fresh store (newEnv) instead.
func sharedStore(t *testing.T) *env {
	t.Helper()
	sharedPull.once.Do(func() {
		for _, ref := range []string{busyboxRef, appRef} {
			res := shared.urun(t, "pull", ref)
			if res.code != 0 {
				sharedPull.err = fmt.Errorf("%s: %s", res.cmdline, res.describe())
				return
			}
		}
	})
	if sharedPull.err != nil {
		t.Fatalf("the shared store could not pull the fixtures (every test using it fails with this): %v", sharedPull.err)
	}
	return shared
}
