package test

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
	"syscall"
	"time"
)

// registry is Debian's docker-registry (the CNCF distribution server)
// listening on a free loopback port, storing in a temporary directory.
type registry struct {
	addr    string // 127.0.0.1:PORT
	dir     string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	client  *http.Client
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

func startRegistry(dir string) (*registry, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		bin = "/usr/bin/docker-registry"
		if _, err := os.Stat(bin); err != nil {
			return nil, errors.New("docker-registry not found: install the Debian package docker-registry (hack/test.sh does as root)")
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o700); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, registryConfig, filepath.Join(dir, "storage"), addr), 0o600); err != nil {
		return nil, err
	}
	r := &registry{
		addr:    addr,
		dir:     dir,
		logPath: filepath.Join(dir, "registry.log"),
		exited:  make(chan struct{}),
		client:  &http.Client{Timeout: 30 * time.Second},
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
	// Dies with the suite even if the suite is killed.
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
			return nil, fmt.Errorf("%s exited before answering on %s; its log:\n%s", bin, addr, r.log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("%s did not answer GET /v2/ on %s within 30s (last error %v); its log:\n%s", bin, addr, err, r.log())
		}
	}
}

func (r *registry) log() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}

func (r *registry) stop() {
	if r == nil || r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// push uploads img's blobs and manifest with the registry's HTTP API.
//
// Why not skopeo or go.podman.io/image/v5/copy: the API needs four kinds of
// request, so pushing ourselves keeps the test binary free of the image
// library (and of its copy of what urun itself uses to pull, which would
// hide a shared bug) and needs no other binary; the registry stores exactly
// the bytes we built, so the digests the tests know are the ones served; and
// a failure names the request that failed.
func (r *registry) push(img *image) error {
	for _, b := range append([]blob{img.config}, img.layers...) {
		if err := r.pushBlob(img.repo, b); err != nil {
			return fmt.Errorf("blob %s: %w", b.digest, err)
		}
	}
	u := fmt.Sprintf("http://%s/v2/%s/manifests/%s", r.addr, img.repo, img.tag)
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(img.manifest))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaTypeManifest)
	resp, err := r.do(req, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != img.digest {
		return fmt.Errorf("manifest: the registry computed digest %q, we computed %q", got, img.digest)
	}
	return nil
}

func (r *registry) pushBlob(repo string, b blob) error {
	base := fmt.Sprintf("http://%s/v2/%s/blobs/", r.addr, repo)
	if resp, err := r.client.Head(base + b.digest); err == nil {
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
	q.Set("digest", b.digest)
	up.RawQuery = q.Encode()
	req, err = http.NewRequest(http.MethodPut, up.String(), bytes.NewReader(b.data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if _, err := r.do(req, http.StatusCreated); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	return nil
}

func (r *registry) do(req *http.Request, want int) (*http.Response, error) {
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
