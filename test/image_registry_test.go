package test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/test/testbed"
)

// protectedRegistry is a registry that needs a login (htpasswd), holding
// the busybox fixture, and the password that must never show.
type protectedRegistry struct {
	*testbed.Registry
	user, password string
	busybox        string // ADDR/library/busybox:latest
}

var registryFixtures struct {
	once sync.Once
	f    *testbed.Fixtures
	err  error
}

// startProtectedRegistry starts a registry of its own for the test, with
// user alice and a password unlike anything else in the suite's output.
func startProtectedRegistry(t *testing.T) *protectedRegistry {
	t.Helper()
	registryFixtures.once.Do(func() { registryFixtures.f, registryFixtures.err = testbed.BuildFixtures() })
	require.NoError(t, registryFixtures.err, "build the fixtures")
	p := &protectedRegistry{user: "alice", password: fmt.Sprintf("Pw-%d-zq8", time.Now().UnixNano())}
	r, err := testbed.StartRegistryWith(filepath.Join(mkTemp(t), "registry"),
		testbed.RegistryOptions{HtpasswdUser: p.user, HtpasswdPassword: p.password})
	require.NoError(t, err, "start the protected registry")
	t.Cleanup(r.Stop)
	p.Registry = r
	require.NoError(t, r.Push(registryFixtures.f.Busybox), "push busybox to the protected registry")
	p.busybox = r.Ref(registryFixtures.f.Busybox)
	return p
}

// loginEnv is a fresh store whose registries.conf marks the suite's
// registry and p insecure (plain http, as a user would write it), with
// xdg as its $XDG_RUNTIME_DIR, where urun login keeps auth.json: stores
// given the same xdg share their credentials, as one user's would.
func loginEnv(t *testing.T, p *protectedRegistry, xdg string) *env {
	t.Helper()
	conf := insecureLocalRegistry() + fmt.Sprintf("\n[[registry]]\nlocation = %q\ninsecure = true\n", p.Addr())
	e := newEnvWith(t, envOptions{registriesConf: conf})
	e.vars = append(e.vars, "XDG_RUNTIME_DIR="+xdg)
	return e
}

// authFile is where urun login writes for a store made by loginEnv(xdg).
func authFile(xdg string) string { return filepath.Join(xdg, "containers", "auth.json") }

// run runs urun and fails the test if the password shows in what it
// printed.
func (p *protectedRegistry) run(t *testing.T, e *env, c runConf, args ...string) result {
	t.Helper()
	res := e.urunWith(t, c, args...)
	p.noPassword(t, res.cmdline, res.stdout+res.stderr)
	return res
}

func (p *protectedRegistry) noPassword(t *testing.T, what, out string) {
	t.Helper()
	assert.NotContains(t, out, p.password, "%s printed the password", what)
	assert.NotContains(t, out, base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.password)), "%s printed the encoded credentials", what)
}

// login logs e in to p with --password-stdin.
func (p *protectedRegistry) login(t *testing.T, e *env, extra ...string) result {
	t.Helper()
	args := append([]string{"login", "-u", p.user, "--password-stdin"}, extra...)
	return p.run(t, e, runConf{stdin: strings.NewReader(p.password + "\n")}, append(args, p.Addr())...)
}

// storedAuth returns the entries of an auth.json file.
func storedAuth(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	require.NoError(t, json.Unmarshal(data, &doc), "auth.json is JSON:\n%s", data)
	out := map[string]string{}
	for k, v := range doc.Auths {
		out[k] = v.Auth
	}
	return out
}

func TestLoginThenPushThenPullWithTheStoredCredentials(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)

	res := p.login(t, e)
	res.ok(t)
	assert.Equal(t, "Login Succeeded!\n", res.stdout)
	st, err := os.Stat(authFile(xdg))
	require.NoError(t, err, "urun login writes $XDG_RUNTIME_DIR/containers/auth.json")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "auth.json is private")
	assert.Equal(t, map[string]string{p.Addr(): base64.StdEncoding.EncodeToString([]byte(p.user + ":" + p.password))},
		storedAuth(t, authFile(xdg)), "the credentials are stored under the registry, as podman stores them")

	p.run(t, e, runConf{}, "pull", "-q", busyboxRef).ok(t)
	dest := p.Addr() + "/mine/busybox:v1"
	digestFile := filepath.Join(e.dir, "digest")
	out := p.run(t, e, runConf{}, "push", "--digestfile", digestFile, busyboxRef, dest).ok(t)
	digest, err := os.ReadFile(digestFile)
	require.NoError(t, err, "--digestfile is written")
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, string(digest))
	pushLines := lines(out)
	assert.Equal(t, "The push refers to repository ["+p.Addr()+"/mine/busybox]", pushLines[0], "push begins with Docker's line")
	assert.Contains(t, out, ": Pushed\n", "a line for each layer pushed")
	assert.Equal(t, fmt.Sprintf("v1: digest: %s size: ", digest), strings.SplitAfter(pushLines[len(pushLines)-1], "size: ")[0], "push ends with Docker's digest line")

	// Another store of the same user: the credentials apply to pull and
	// to run's pull alike.
	fresh := loginEnv(t, p, xdg)
	p.run(t, fresh, runConf{}, "pull", dest).ok(t)
	res = p.run(t, fresh, runConf{}, "run", "--rm", dest, "cat", "/etc/layer2")
	assert.Equal(t, layer2Body, res.ok(t))
	other := loginEnv(t, p, xdg)
	assert.Equal(t, layer2Body, p.run(t, other, runConf{}, "run", "--rm", p.busybox, "cat", "/etc/layer2").ok(t))
}

func TestLoginWithWrongCredentialsFailsAndStoresNothing(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)
	tests := []struct{ name, user, password string }{
		{"wrong password", p.user, p.password + "x"},
		{"unknown user", "mallory", p.password},
	}
	for _, before := range []string{"no auth file yet", "logged in already"} {
		if before == "logged in already" {
			p.login(t, e).ok(t)
		}
		for _, tt := range tests {
			t.Run(before+"/"+tt.name, func(t *testing.T) {
				was, _ := os.ReadFile(authFile(xdg))
				res := p.run(t, e, runConf{stdin: strings.NewReader(tt.password)}, "login", "-u", tt.user, "--password-stdin", p.Addr())
				res.exits(t, 1)
				assert.Contains(t, res.stderr, "unauthorized: check the username and password")
				assert.NotContains(t, res.stdout, "Login Succeeded")
				now, _ := os.ReadFile(authFile(xdg))
				assert.Equal(t, string(was), string(now), "a failed login leaves the auth file as it was")
			})
		}
	}
}

func TestPullAndPushWithoutLoginSayHowToLogIn(t *testing.T) {
	p := startProtectedRegistry(t)
	e := loginEnv(t, p, mkTemp(t))
	res := p.run(t, e, runConf{}, "pull", p.busybox)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "authentication required")
	assert.Contains(t, res.stderr, "urun login "+p.Addr())

	p.run(t, e, runConf{}, "pull", "-q", busyboxRef).ok(t)
	res = p.run(t, e, runConf{}, "push", busyboxRef, p.Addr()+"/mine/busybox:v1")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "urun login "+p.Addr())
}

func TestLoginPasswordFlagWarnsAndWorks(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)
	res := e.urun(t, "login", "-u", p.user, "-p", p.password, p.Addr())
	res.ok(t)
	assert.Contains(t, res.stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	assert.NotContains(t, res.stdout+res.stderr, p.password, "the password is not echoed back")
	assert.Contains(t, storedAuth(t, authFile(xdg)), p.Addr())
}

func TestLoginReusesStoredCredentialsThatStillWork(t *testing.T) {
	p := startProtectedRegistry(t)
	e := loginEnv(t, p, mkTemp(t))
	res := p.run(t, e, runConf{}, "login", p.Addr())
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "no username given", "without credentials or a terminal, login says what is missing")

	p.login(t, e).ok(t)
	res = p.run(t, e, runConf{}, "login", p.Addr())
	res.ok(t)
	assert.Contains(t, res.stderr, "Authenticating with existing credentials for "+p.Addr())
	assert.Equal(t, "Login Succeeded!\n", res.stdout)
}

func TestLoginAsksOnTheTerminalWithoutEchoingThePassword(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "login", "--tls-verify=false", p.Addr()), 24, 80)
	term.shows(t, "Username: ", "login asks for the user name")
	_, err := term.master.Write([]byte(p.user + "\n"))
	require.NoError(t, err)
	term.shows(t, "Password: ", "login asks for the password")
	_, err = term.master.Write([]byte(p.password + "\n"))
	require.NoError(t, err)
	text, err := term.wait(t)
	require.NoError(t, err, "urun login on a terminal")
	assert.Contains(t, text, "Login Succeeded!")
	p.noPassword(t, "the terminal", text)
	assert.Contains(t, storedAuth(t, authFile(xdg)), p.Addr())
}

func TestLogoutRemovesTheCredentials(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)
	p.login(t, e).ok(t)
	out := p.run(t, e, runConf{}, "logout", p.Addr()).ok(t)
	assert.Equal(t, "Removed login credentials for "+p.Addr()+"\n", out)
	assert.NotContains(t, storedAuth(t, authFile(xdg)), p.Addr())
	res := p.run(t, e, runConf{}, "pull", p.busybox)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "urun login", "logged out, pulls need a login again")

	out = p.run(t, e, runConf{}, "logout", p.Addr()).ok(t)
	assert.Equal(t, "Not logged in to "+p.Addr()+"\n", out, "as Docker: logging out twice is no error")

	t.Run("all", func(t *testing.T) {
		p.login(t, e).ok(t)
		p.run(t, e, runConf{}, "logout", "--all").ok(t)
		assert.Empty(t, storedAuth(t, authFile(xdg)))
	})
}

func TestLoginAuthFileFlagAndRegistryAuthFile(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	t.Run("--authfile", func(t *testing.T) {
		e := loginEnv(t, p, xdg)
		file := filepath.Join(e.dir, "my-auth.json")
		p.login(t, e, "--authfile", file).ok(t)
		st, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		assert.NoFileExists(t, authFile(xdg), "--authfile replaces the default file")
		p.run(t, e, runConf{}, "logout", "--authfile", file, p.Addr()).ok(t)
		assert.Empty(t, storedAuth(t, file))
	})
	t.Run("REGISTRY_AUTH_FILE", func(t *testing.T) {
		e := loginEnv(t, p, xdg)
		file := filepath.Join(e.dir, "env-auth.json")
		e.vars = append(e.vars, "REGISTRY_AUTH_FILE="+file)
		p.login(t, e).ok(t)
		assert.Contains(t, storedAuth(t, file), p.Addr())
		assert.NoFileExists(t, authFile(xdg))
		p.run(t, e, runConf{}, "pull", p.busybox).ok(t)
	})
}

// runSkopeo runs skopeo as the test user and returns its stdout.
func runSkopeo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "skopeo", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Logf("$ skopeo %s\n%s%s", shellQuote(args), out, stderr.String())
	require.NoError(t, err, "skopeo %s: %s", shellQuote(args), stderr.String())
	return string(out)
}

func TestSkopeoReadsWhatUrunPushed(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)
	p.login(t, e).ok(t)
	p.run(t, e, runConf{}, "pull", "-q", busyboxRef).ok(t)
	tests := []struct{ format, mediaType string }{
		{"", "application/vnd.oci.image.manifest.v1+json"}, // the fixture's own
		{"oci", "application/vnd.oci.image.manifest.v1+json"},
		{"v2s2", "application/vnd.docker.distribution.manifest.v2+json"},
	}
	for _, tt := range tests {
		t.Run("format "+tt.format, func(t *testing.T) {
			dest := p.Addr() + "/pushed/busybox:f" + tt.format
			args := []string{"push", "-q"}
			if tt.format != "" {
				args = append(args, "--format", tt.format)
			}
			out := p.run(t, e, runConf{}, append(args, busyboxRef, dest)...).ok(t)
			assert.Equal(t, dest+"\n", out, "push -q prints what it pushed")

			creds := []string{"--authfile", authFile(xdg), "--tls-verify=false"}
			raw := runSkopeo(t, append(append([]string{"inspect", "--raw"}, creds...), "docker://"+dest)...)
			var m struct {
				MediaType string `json:"mediaType"`
				Layers    []any  `json:"layers"`
			}
			require.NoError(t, json.Unmarshal([]byte(raw), &m))
			assert.Equal(t, tt.mediaType, m.MediaType)
			assert.Len(t, m.Layers, 2, "both layers of busybox")

			dir := filepath.Join(mkTemp(t), "oci")
			runSkopeo(t, "copy", "--authfile", authFile(xdg), "--src-tls-verify=false", "docker://"+dest, "oci:"+dir+":copy")
			assert.FileExists(t, filepath.Join(dir, "index.json"))
		})
	}
}

func TestImagePushedBySkopeoPullsAndRuns(t *testing.T) {
	p := startProtectedRegistry(t)
	xdg := mkTemp(t)
	e := loginEnv(t, p, xdg)
	p.login(t, e).ok(t)
	dest := p.Addr() + "/other/name:copied"
	runSkopeo(t, "copy", "--authfile", authFile(xdg), "--src-tls-verify=false", "--dest-tls-verify=false",
		"docker://"+p.busybox, "docker://"+dest)
	p.run(t, e, runConf{}, "pull", dest).ok(t)
	assert.Equal(t, layer2Body, p.run(t, e, runConf{}, "run", "--rm", dest, "cat", "/etc/layer2").ok(t))
}

func TestPushRefusesWhatItCannotPush(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	id := strings.TrimSpace(e.urun(t, "images", "-q").ok(t))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an image not in the store", []string{"push", reg.Addr() + "/no/such:image"}, "no such image"},
		{"an id without a destination", []string{"push", id}, "say where to push it"},
		{"an archive destination", []string{"push", busyboxRef, "oci:/tmp/x"}, "registries only"},
		{"an unknown format", []string{"push", "--format", "v1", busyboxRef}, "want oci or v2s2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, tt.args...)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tt.want)
		})
	}
}

func TestSearchFindsTheRegistrysRepositories(t *testing.T) {
	e := newEnv(t)
	t.Run("table", func(t *testing.T) {
		out := e.urun(t, "search", reg.Addr()+"/busybox").ok(t)
		ls := lines(out)
		require.GreaterOrEqual(t, len(ls), 2, "a header and a result:\n%s", out)
		assert.Equal(t, []string{"NAME", "DESCRIPTION", "STARS", "OFFICIAL"}, strings.Fields(ls[0]))
		assert.Equal(t, reg.Addr()+"/library/busybox", strings.Fields(ls[1])[0], "the name is one urun pull takes")
	})
	t.Run("the whole catalog", func(t *testing.T) {
		out := e.urun(t, "search", "--format", "{{.Name}}", reg.Addr()+"/").ok(t)
		assert.Contains(t, lines(out), reg.Addr()+"/library/busybox")
		assert.Contains(t, lines(out), reg.Addr()+"/test/app")
	})
	t.Run("limit", func(t *testing.T) {
		out := e.urun(t, "search", "--limit", "1", "--format", "{{.Name}}", reg.Addr()+"/").ok(t)
		assert.Len(t, lines(out), 1)
	})
	t.Run("json", func(t *testing.T) {
		docs := decodeJSONDocs(t, e.urun(t, "search", "--format", "json", reg.Addr()+"/app").ok(t))
		require.Len(t, docs, 1)
		assert.Equal(t, reg.Addr()+"/test/app", docs[0].(map[string]any)["Name"])
	})
	t.Run("nothing matches", func(t *testing.T) {
		res := e.urun(t, "search", "--format", "{{.Name}}", reg.Addr()+"/no-such-thing")
		res.ok(t)
		assert.Empty(t, res.stdout)
		assert.Contains(t, res.stderr, fmt.Sprintf("No repository in %s matches %q", reg.Addr(), "no-such-thing"))
	})
}

func TestSearchAProtectedRegistryNeedsALogin(t *testing.T) {
	p := startProtectedRegistry(t)
	e := loginEnv(t, p, mkTemp(t))
	res := p.run(t, e, runConf{}, "search", p.Addr()+"/busybox")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "urun login "+p.Addr())
	p.login(t, e).ok(t)
	out := p.run(t, e, runConf{}, "search", "--format", "{{.Name}}", p.Addr()+"/busybox").ok(t)
	assert.Equal(t, []string{p.Addr() + "/library/busybox"}, lines(out))
}

func TestSearchARegistryWithoutSearchSaysSo(t *testing.T) {
	// A registry that serves images but neither /v1/search nor
	// /v2/_catalog, as many hosted ones do.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
			fmt.Fprint(w, "{}")
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	e := newEnv(t)
	res := e.urun(t, "search", "--tls-verify=false", addr+"/busybox")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "neither the v1 search API nor the v2 catalog")
}

func TestPushShowsProgressOnATerminal(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	dest := reg.Addr() + "/progress/busybox:tty"
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "image", "push", busyboxRef, dest), 24, 100)
	text, err := term.wait(t)
	require.NoError(t, err, "urun image push on a terminal")
	assert.Contains(t, text, "Copying blob", "the image library's progress")
	assert.Contains(t, text, "Writing manifest")
	assert.Regexp(t, `tty: digest: sha256:[0-9a-f]{64} size: \d+`, text)
	e.urun(t, "pull", dest).ok(t)
}
