package testbed

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is what FaultProxy does to the downloads of one blob.
type Fault int

const (
	// Corrupt serves the blob at its full length with one byte changed.
	Corrupt Fault = iota + 1
	// CutShort announces the full length, sends half and drops the
	// connection; a request for the rest (Range) gets the headers only.
	CutShort
	// Short serves the first half of the blob as if it were all of it
	// (Content-Length of the half).
	Short
	// Stall sends half of the blob, then holds the connection open until
	// Release or until the client goes away.
	Stall
	// Endless announces a Content-Length of 1 TiB and sends the blob
	// followed by zeros, without end, until the client goes away: a
	// registry that lies about the size.
	Endless
	// Trickle announces the full length and sends the blob one byte a
	// second, until the client goes away.
	Trickle
)

func (f Fault) String() string {
	switch f {
	case Corrupt:
		return "corrupt"
	case CutShort:
		return "cut short"
	case Short:
		return "short"
	case Stall:
		return "stall"
	case Endless:
		return "endless"
	case Trickle:
		return "trickle"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// FaultProxy is an HTTP reverse proxy in front of a registry that spoils
// the downloads of chosen blobs and passes everything else on unchanged.
type FaultProxy struct {
	addr     string
	upstream string // host:port
	srv      *http.Server
	proxy    *httputil.ReverseProxy
	client   *http.Client

	mu      sync.Mutex
	faults  map[string]Fault // by blob digest
	served  map[string]int   // blob GETs answered, by digest
	release chan struct{}    // closed by Release: every stall ends
	blobRel map[string]chan struct{}
	stalled chan string
	sent    map[string]int64 // bytes of the body sent by Endless and Trickle, by digest
}

// StartFaultProxy listens on a free port of 127.0.0.1 and forwards to the
// registry at upstream (host:port).
func StartFaultProxy(upstream string) (*FaultProxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "http", Host: upstream}
	p := &FaultProxy{
		addr:     l.Addr().String(),
		upstream: upstream,
		proxy:    httputil.NewSingleHostReverseProxy(u),
		client:   &http.Client{Timeout: time.Minute},
		faults:   map[string]Fault{},
		served:   map[string]int{},
		release:  make(chan struct{}),
		blobRel:  map[string]chan struct{}{},
		stalled:  make(chan string, 16),
		sent:     map[string]int64{},
	}
	p.srv = &http.Server{Handler: p}
	go p.srv.Serve(l)
	return p, nil
}

// Addr is the proxy's host:port; images pulled through it are named
// ADDR/REPO:TAG.
func (p *FaultProxy) Addr() string { return p.addr }

// Ref is img's reference through the proxy.
func (p *FaultProxy) Ref(img *Image) string { return p.addr + "/" + img.Name() }

// Set makes every later download of the blob digest suffer f; 0 clears it.
func (p *FaultProxy) Set(digest string, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f == 0 {
		delete(p.faults, digest)
		return
	}
	p.faults[digest] = f
}

// Served is how many GETs of the blob digest the proxy answered.
func (p *FaultProxy) Served(digest string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served[digest]
}

// Sent is how many body bytes the Endless and Trickle downloads of the
// blob digest sent (to the kernel's socket buffers: the client may have
// read less).
func (p *FaultProxy) Sent(digest string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[digest]
}

func (p *FaultProxy) addSent(digest string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent[digest] += int64(n)
}

// Stalled receives a blob's digest each time a Stall download has sent
// its first half and starts to hold the connection.
func (p *FaultProxy) Stalled() <-chan string { return p.stalled }

// Release ends every stall, now and later: held downloads end (cut short).
func (p *FaultProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.release:
	default:
		close(p.release)
	}
}

// ReleaseBlob ends the stalls of one blob, now and later.
func (p *FaultProxy) ReleaseBlob(digest string) {
	ch := p.blobRelease(digest)
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (p *FaultProxy) blobRelease(digest string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.blobRel[digest]
	if !ok {
		ch = make(chan struct{})
		p.blobRel[digest] = ch
	}
	return ch
}

// Close stops the proxy, releasing stalls first.
func (p *FaultProxy) Close() error {
	p.Release()
	return p.srv.Close()
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	digest := blobDigest(r.URL.Path)
	if r.Method != http.MethodGet || digest == "" {
		p.proxy.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	f := p.faults[digest]
	p.served[digest]++
	p.mu.Unlock()
	if f == 0 {
		p.proxy.ServeHTTP(w, r)
		return
	}
	if err := p.serveFault(w, r, digest, f); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
	}
}

// blobDigest returns DIGEST of a /v2/REPO/blobs/DIGEST path, else "".
func blobDigest(path string) string {
	i := strings.LastIndex(path, "/blobs/")
	if !strings.HasPrefix(path, "/v2/") || i < 0 {
		return ""
	}
	d := path[i+len("/blobs/"):]
	if !strings.HasPrefix(d, "sha256:") {
		return ""
	}
	return d
}

// serveFault fetches the blob (following the registry's redirects) and
// answers with it spoiled as f says.
func (p *FaultProxy) serveFault(w http.ResponseWriter, r *http.Request, digest string, f Fault) error {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://"+p.upstream+r.URL.RequestURI(), nil)
	if err != nil {
		return err
	}
	for _, h := range []string{"Authorization", "Range", "Accept"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("fault proxy: fetch %s: %w", digest, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("fault proxy: read %s: %w", digest, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		copyHeaders(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
		return nil
	}
	half := body[:len(body)/2]
	switch f {
	case Corrupt:
		spoiled := append([]byte(nil), body...)
		if len(spoiled) > 0 {
			spoiled[len(spoiled)/2] ^= 0xff
		}
		copyHeaders(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		w.Write(spoiled)
		return nil
	case Short:
		copyHeaders(w.Header(), resp.Header)
		w.Header().Set("Content-Length", fmt.Sprint(len(half)))
		w.Header().Del("Content-Range")
		w.WriteHeader(http.StatusOK)
		w.Write(half)
		return nil
	case CutShort:
		if r.Header.Get("Range") != "" {
			half = nil
		}
		return p.cut(w, resp, len(body), half, nil)
	case Stall:
		blobRel := p.blobRelease(digest)
		return p.cut(w, resp, len(body), half, func() {
			select {
			case p.stalled <- digest:
			default:
			}
			select {
			case <-p.release:
			case <-blobRel:
			case <-r.Context().Done():
			}
		})
	case Endless:
		return p.stream(w, resp, digest, 1<<40, func(write func([]byte) error) error {
			if err := write(body); err != nil {
				return err
			}
			zeros := make([]byte, 64<<10)
			for {
				if err := write(zeros); err != nil {
					return err
				}
			}
		})
	case Trickle:
		return p.stream(w, resp, digest, len(body), func(write func([]byte) error) error {
			for i := range body {
				if err := write(body[i : i+1]); err != nil {
					return err
				}
				select {
				case <-time.After(time.Second):
				case <-r.Context().Done():
					return r.Context().Err()
				}
			}
			return nil
		})
	}
	return fmt.Errorf("fault proxy: unknown fault %v", f)
}

// stream answers with resp's status and headers announcing length bytes
// and a body that send writes, each write flushed at once, until send
// ends or a write fails (the client went away).
func (p *FaultProxy) stream(w http.ResponseWriter, resp *http.Response, digest string, length int, send func(write func([]byte) error) error) error {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return errors.New("fault proxy: cannot take over the connection")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return fmt.Errorf("fault proxy: take over the connection: %w", err)
	}
	defer conn.Close()
	writeHead(buf, resp, length)
	if err := buf.Flush(); err != nil {
		return nil
	}
	send(func(b []byte) error {
		conn.SetWriteDeadline(time.Now().Add(time.Minute))
		n, err := conn.Write(b)
		p.addSent(digest, n)
		return err
	})
	return nil
}

// cut writes resp's status and headers announcing length bytes, then
// sent, waits for hold (if any) and drops the connection.
func (p *FaultProxy) cut(w http.ResponseWriter, resp *http.Response, length int, sent []byte, hold func()) error {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return errors.New("fault proxy: cannot take over the connection")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return fmt.Errorf("fault proxy: take over the connection: %w", err)
	}
	defer conn.Close()
	writeHead(buf, resp, length)
	buf.Write(sent)
	buf.Flush()
	if hold != nil {
		// The client's going away shows as the connection closing: watch
		// it, since a hijacked request's context no longer does.
		gone := make(chan struct{})
		go func() {
			io.Copy(io.Discard, conn)
			close(gone)
		}()
		done := make(chan struct{})
		go func() { hold(); close(done) }()
		select {
		case <-done:
		case <-gone:
		}
	}
	return nil
}

func writeHead(buf *bufio.ReadWriter, resp *http.Response, length int) {
	fmt.Fprintf(buf, "HTTP/1.1 %s\r\n", resp.Status)
	h := resp.Header.Clone()
	h.Set("Content-Length", fmt.Sprint(length))
	h.Set("Connection", "close")
	h.Write(buf)
	buf.WriteString("\r\n")
}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}
