package testbed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Registry is Debian's docker-registry (the CNCF distribution server)
// listening on a free port of 127.0.0.1, storing in a directory of ours.
// It serves plain HTTP: clients must treat it as an insecure registry.
type Registry struct {
	addr     string // 127.0.0.1:PORT
	dir      string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	client   *http.Client
	stopOnce sync.Once
}

const registryConfig = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`

// StartRegistry starts a registry storing in dir (created if missing) and
// returns once it answers GET /v2/. The registry is killed when the calling
// process dies, even by SIGKILL; Stop ends it earlier.
func StartRegistry(dir string) (*Registry, error) {
	return StartRegistryWith(dir, RegistryOptions{})
}

// StartRegistryWith is StartRegistry with options: see RegistryOptions.
func StartRegistryWith(dir string, o RegistryOptions) (*Registry, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		bin = "/usr/bin/docker-registry"
		if _, err := os.Stat(bin); err != nil {
			return nil, errors.New("docker-registry not found: install the Debian package docker-registry (hack/setup-host.sh does as root)")
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o700); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	extra, err := o.prepare(dir)
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, append(fmt.Appendf(nil, registryConfig, filepath.Join(dir, "storage"), addr), extra...), 0o600); err != nil {
		return nil, err
	}
	r := &Registry{
		addr:    addr,
		dir:     dir,
		logPath: filepath.Join(dir, "registry.log"),
		exited:  make(chan struct{}),
		client:  o.client(),
	}
	logf, err := os.Create(r.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	r.cmd = exec.Command(bin, "serve", cfg)
	r.cmd.Dir = dir
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	// Dies with its parent even if the parent is killed.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := r.client.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("%s exited before answering on %s; its log:\n%s", bin, addr, r.Log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Stop()
			return nil, fmt.Errorf("%s did not answer GET /v2/ on %s within 30s (last error %v); its log:\n%s", bin, addr, err, r.Log())
		}
	}
}

// Addr is the registry's host:port (127.0.0.1:PORT), the first part of
// its images' references.
func (r *Registry) Addr() string { return r.addr }

// Ref is the reference of img in r: ADDR/REPO:TAG.
func (r *Registry) Ref(img *Image) string { return r.addr + "/" + img.Name() }

// Log returns what the registry wrote to its log so far.
func (r *Registry) Log() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}

// Exited is closed when the registry process has exited.
func (r *Registry) Exited() <-chan struct{} { return r.exited }

// Stop ends the registry (SIGTERM, SIGKILL after 5s) and waits for it. It
// may be called more than once, and on a nil Registry.
func (r *Registry) Stop() {
	if r == nil || r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.stopOnce.Do(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(5 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Push uploads img's blobs and manifest with the registry's HTTP API.
//
// Why not skopeo or go.podman.io/image/v5/copy: the API needs four kinds of
// request, so pushing ourselves keeps the test binary free of the image
// library (and of its copy of what urun itself uses to pull, which would
// hide a shared bug) and needs no other binary; the registry stores exactly
// the bytes we built, so the digests the tests know are the ones served; and
// a failure names the request that failed.
func (r *Registry) Push(img *Image) error {
	for _, b := range append([]Blob{img.Config}, img.Layers...) {
		if err := r.pushBlob(img.Repo, b); err != nil {
			return fmt.Errorf("blob %s: %w", b.Digest, err)
		}
	}
	u := fmt.Sprintf("http://%s/v2/%s/manifests/%s", r.addr, img.Repo, img.Tag)
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(img.Manifest))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", MediaTypeManifest)
	resp, err := r.do(req, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != img.Digest {
		return fmt.Errorf("manifest: the registry computed digest %q, we computed %q", got, img.Digest)
	}
	return nil
}

func (r *Registry) pushBlob(repo string, b Blob) error {
	base := fmt.Sprintf("http://%s/v2/%s/blobs/", r.addr, repo)
	if resp, err := r.client.Head(base + b.Digest); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	req, err := http.NewRequest(http.MethodPost, base+"uploads/", nil)
	if err != nil {
		return err
	}
	resp, err := r.do(req, http.StatusAccepted)
	if err != nil {
		return fmt.Errorf("start upload: %w", err)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("upload location %q: %w", resp.Header.Get("Location"), err)
	}
	up := resp.Request.URL.ResolveReference(loc)
	q := up.Query()
	q.Set("digest", b.Digest)
	up.RawQuery = q.Encode()
	req, err = http.NewRequest(http.MethodPut, up.String(), bytes.NewReader(b.Data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if _, err := r.do(req, http.StatusCreated); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	return nil
}

func (r *Registry) do(req *http.Request, want int) (*http.Response, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %s, want %d: %s", req.Method, req.URL.Path, resp.Status, want, strings.TrimSpace(string(body)))
	}
	return resp, nil
}
