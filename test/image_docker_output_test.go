package test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a script written for `docker pull` reads: Docker's lines on stdout,
// the full reference last.
var (
	layerLine  = regexp.MustCompile(`^[0-9a-f]{12}: (Pulling fs layer|Download complete|Pull complete|Already exists)$`)
	digestLine = regexp.MustCompile(`^Digest: sha256:[0-9a-f]{64}$`)
)

func TestPullPrintsDockersLines(t *testing.T) {
	e := newEnv(t)
	busyboxNoTag := strings.TrimSuffix(busyboxRef, ":latest")
	require.NotEqual(t, busyboxRef, busyboxNoTag, "the fixture's tag is latest")

	out := lines(e.urun(t, "pull", busyboxNoTag).ok(t))
	require.GreaterOrEqual(t, len(out), 5, "pull's lines: %q", out)
	assert.Equal(t, "Using default tag: latest", out[0], "no tag given: Docker says which it chose")
	assert.Equal(t, "latest: Pulling from library/busybox", out[1])
	var layers []string
	for _, l := range out[2 : len(out)-3] {
		assert.Regexp(t, layerLine, l)
		if strings.HasSuffix(l, ": Pull complete") {
			layers = append(layers, l[:12])
		}
	}
	assert.Len(t, layers, 2, "each of busybox's two layers is pulled: %q", out)
	assert.Regexp(t, digestLine, out[len(out)-3])
	assert.Equal(t, "Status: Downloaded newer image for "+busyboxRef, out[len(out)-2])
	assert.Equal(t, busyboxRef, out[len(out)-1], "the full reference on the last line")

	again := lines(e.urun(t, "pull", busyboxRef).ok(t))
	assert.Equal(t, "latest: Pulling from library/busybox", again[0], "a tag given: no default tag line")
	assert.Equal(t, "Status: Image is up to date for "+busyboxRef, again[len(again)-2])
	assert.Equal(t, busyboxRef, again[len(again)-1])
}

func TestPullQuietPrintsOnlyTheReference(t *testing.T) {
	e := newEnv(t)
	res := e.urun(t, "pull", "-q", appRef)
	assert.Equal(t, appRef+"\n", res.ok(t))
	assert.Empty(t, res.stderr)
}

// On a terminal a pull draws a bar per layer, as Docker's, and each ends
// "Pull complete"; the Digest and Status lines follow.
func TestPullShowsProgressBarsOnATerminal(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "pull", busyboxRef), 24, 120)
	text, err := term.wait(t)
	require.NoError(t, err, "urun pull on a terminal")
	assert.Contains(t, text, "\x1b[", "the bars are redrawn in place")
	done := regexp.MustCompile(`[0-9a-f]{12}: Pull complete`).FindAllString(text, -1)
	ids := map[string]bool{}
	for _, d := range done {
		ids[d[:12]] = true
	}
	assert.Len(t, ids, 2, "each layer's bar ends Pull complete:\n%s", text)
	assert.Contains(t, text, "Status: Downloaded newer image for "+busyboxRef)
	assert.True(t, strings.HasSuffix(strings.TrimRight(text, "\n"), busyboxRef), "the reference last:\n%s", text)
}

// An image the registry does not have says so first, in Docker's words;
// pull exits 1, run 125.
func TestPullOfAMissingImageSaysSoFirst(t *testing.T) {
	e := newEnv(t)
	noRepo := reg.Addr() + "/no/such:latest"
	noTag := strings.TrimSuffix(busyboxRef, ":latest") + ":nosuchtag"
	for _, tc := range []struct {
		name, ref, first string
	}{
		// The distribution registry says manifest unknown for both (Docker
		// Hub says denied for a repository it lacks: "pull access denied
		// for NAME, repository does not exist or may require 'urun login'",
		// image/errors_test.go).
		{"a repository the registry lacks", noRepo, "urun: manifest for " + noRepo + " not found: manifest unknown"},
		{"a tag the repository lacks", noTag, "urun: manifest for " + noTag + " not found: manifest unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.urun(t, "pull", tc.ref)
			res.exits(t, 1)
			assert.True(t, strings.HasPrefix(res.stderr, tc.first), "pull's message begins with Docker's words %q:\n%s", tc.first, res.stderr)

			res = e.urun(t, "run", "--rm", tc.ref, "true")
			res.exits(t, 125)
			errLines := lines(res.stderr)
			require.NotEmpty(t, errLines)
			assert.Equal(t, "Unable to find image '"+tc.ref+"' locally", errLines[0])
			assert.Contains(t, res.stderr, "\n"+tc.first, "run says it as pull does:\n%s", res.stderr)
			assert.Empty(t, imageIDs(t, e))
		})
	}
}

// A registry on 127.0.0.0/8 is insecure without being told, as Docker's:
// no --tls-verify=false, no registries.conf entry.
func TestARegistryOnTheLoopbackNeedsNoTLSVerifyFlag(t *testing.T) {
	e := newEnvWith(t, envOptions{registriesConf: "unqualified-search-registries = []\n"})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	assert.Equal(t, helloBody, e.urun(t, "run", "--rm", "--entrypoint", "cat", appRef, "/home/app/hello.txt").ok(t))
	dest := reg.Addr() + "/loopback/busybox:v1"
	out := e.urun(t, "push", busyboxRef, dest).ok(t)
	assert.True(t, strings.HasPrefix(out, "The push refers to repository ["+reg.Addr()+"/loopback/busybox]\n"), out)
	assert.Regexp(t, `(?m)^v1: digest: sha256:[0-9a-f]{64} size: \d+$`, out)

	res := e.urun(t, "pull", "--tls-verify=true", dest)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "serves plain http", "--tls-verify=true still asks for TLS")
}

func TestImportMessageIsTheHistorysComment(t *testing.T) {
	e := newEnv(t)
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 3}))
	_, err := tw.Write([]byte("hi\n"))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	file := filepath.Join(e.dir, "rootfs.tar")
	require.NoError(t, os.WriteFile(file, tarball.Bytes(), 0o600))

	e.urun(t, "import", "--message", "restored from a backup", file, "restored:v1").ok(t)
	history := e.urun(t, "history", "--format", "{{.Comment}}", "restored:v1").ok(t)
	assert.Equal(t, "restored from a backup\n", history)
	assert.Contains(t, e.urun(t, "history", "restored:v1").ok(t), "restored from a backup", "the COMMENT column")
	assert.Equal(t, "restored from a backup\n", e.urun(t, "image", "inspect", "--format", "{{.Comment}}", "restored:v1").ok(t))
}

// Images are shown as Docker shows them: Docker Hub's without docker.io/
// and library/, others in full.
func TestImagesAndPsShowFamiliarNames(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "tag", busyboxRef, "myimage").ok(t)
	e.urun(t, "tag", busyboxRef, "someone/tool:v2").ok(t)
	e.urun(t, "tag", busyboxRef, "localhost:5000/foo").ok(t)
	repos := lines(e.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}}").ok(t))
	assert.ElementsMatch(t, []string{busyboxRef, "myimage:latest", "someone/tool:v2", "localhost:5000/foo:latest"}, repos)
	table := e.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(table, "myimage", "latest"), table)
	assert.NotContains(t, table, "docker.io/")

	e.urun(t, "create", "--name", "familiar", "myimage", "true").ok(t)
	assert.Equal(t, "myimage:latest\n", e.urun(t, "ps", "-a", "--filter", "name=familiar", "--format", "{{.Image}}").ok(t))
}

// hostAnswersDNS reports whether the host's first name server answers
// (a "no such host" is an answer).
func hostAnswersDNS(t *testing.T) (string, bool) {
	data, err := os.ReadFile("/etc/resolv.conf")
	require.NoError(t, err)
	server := ""
	for _, l := range lines(string(data)) {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "nameserver" {
			server = f[1]
			break
		}
	}
	if server == "" {
		return "", false
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", net.JoinHostPort(server, "53"))
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = r.LookupHost(ctx, "urun-test.example.com")
	var dnsErr *net.DNSError
	return server, err == nil || errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// A container on pasta's network asks the host's name server through
// pasta's DNS forwarder, and gets its answer.
func TestPastaGivesTheContainerAWorkingResolver(t *testing.T) {
	requireHelper(t, "pasta", "passt")
	server, ok := hostAnswersDNS(t)
	if !ok {
		t.Skipf("the host's own name server (%q in /etc/resolv.conf) does not answer: nothing for the container to reach", server)
	}
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", "--network", "pasta", busyboxRef, "sh", "-c",
		"cat /etc/resolv.conf; echo ==; timeout 10 nslookup urun-test.example.com 2>&1; echo rc=$?").ok(t)
	resolv, lookup, _ := strings.Cut(out, "==\n")
	assert.Contains(t, resolv, "nameserver 169.254.1.1\n", "pasta's DNS forwarder")
	assert.NotContains(t, lookup, "timed out", "the name server answered:\n%s", out)
	assert.NotContains(t, lookup, "rc=143", "nslookup was not cut off:\n%s", out)
	assert.Regexp(t, `(?i)NXDOMAIN|can't find|Name:`, lookup, "an answer, found or not:\n%s", out)
}
