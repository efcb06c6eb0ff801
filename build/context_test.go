package build

import (
	"archive/tar"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenContextFindsTheDockerfileOfADirectory(t *testing.T) {
	tests := []struct {
		name       string
		files      tree // in the context
		cwdFiles   tree // in the current directory
		dockerfile string
		stdin      string
		want       string
		wantName   string
		wantErr    string
	}{
		{name: "Dockerfile by default", files: tree{"Dockerfile": "FROM a"}, want: "FROM a", wantName: "Dockerfile"},
		{name: "lower-case dockerfile as a fallback", files: tree{"dockerfile": "FROM b"}, want: "FROM b", wantName: "dockerfile"},
		{name: "-f relative to the current directory", files: tree{"Dockerfile": "FROM a"}, cwdFiles: tree{"other/Df": "FROM cwd"},
			dockerfile: "other/Df", want: "FROM cwd", wantName: "other/Df"},
		{name: "-f relative to the context when not in the current directory", files: tree{"sub/Df": "FROM ctx"},
			dockerfile: "sub/Df", want: "FROM ctx", wantName: "sub/Df"},
		{name: "-f - reads stdin", files: tree{}, dockerfile: "-", stdin: "FROM stdin", want: "FROM stdin", wantName: "-"},
		{name: "a missing Dockerfile", files: tree{"x": ""}, wantErr: "cannot locate the Dockerfile Dockerfile"},
		{name: "a missing -f", files: tree{"Dockerfile": ""}, dockerfile: "nope", wantErr: "cannot locate the Dockerfile nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cwd := t.TempDir(), t.TempDir()
			makeTree(t, ctx, tt.files)
			makeTree(t, cwd, tt.cwdFiles)
			t.Chdir(cwd)
			c, err := OpenContext(ContextOptions{Source: ctx, Dockerfile: tt.dockerfile, Stdin: strings.NewReader(tt.stdin)})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(c.Dockerfile))
			assert.Equal(t, tt.wantName, c.DockerfileName)
			assert.Equal(t, ctx, c.Dir)
		})
	}
}

func TestOpenContextRefusesWhatIsNoContext(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, tree{"file": "x"})
	_, err := OpenContext(ContextOptions{Source: filepath.Join(dir, "file")})
	assert.ErrorContains(t, err, "context must be a directory")
	_, err = OpenContext(ContextOptions{Source: filepath.Join(dir, "missing")})
	assert.ErrorContains(t, err, "not found")
	_, err = OpenContext(ContextOptions{Source: "-", Dockerfile: "-"})
	assert.ErrorContains(t, err, "can't use stdin for both")
}

func TestOpenContextPrefersTheDockerfilesOwnIgnoreFile(t *testing.T) {
	ctx := t.TempDir()
	makeTree(t, ctx, tree{
		"Dockerfile": "FROM a", ".dockerignore": "root-ignored\n",
		"sub/app.Dockerfile": "FROM b", "sub/app.Dockerfile.dockerignore": "own-ignored\n",
	})
	c, err := OpenContext(ContextOptions{Source: ctx, Dockerfile: filepath.Join(ctx, "sub/app.Dockerfile")})
	require.NoError(t, err)
	assert.Equal(t, []string{"own-ignored"}, c.IgnorePatterns)
	ign, err := c.Ignored("own-ignored/x")
	require.NoError(t, err)
	assert.True(t, ign, "a file in an ignored directory is ignored")

	c, err = OpenContext(ContextOptions{Source: ctx})
	require.NoError(t, err)
	assert.Equal(t, []string{"root-ignored"}, c.IgnorePatterns)
	for p, want := range map[string]bool{"root-ignored": true, "/root-ignored": true, "x/root-ignored": false, "other": false, "": false} {
		ign, err := c.Ignored(p)
		require.NoError(t, err)
		assert.Equal(t, want, ign, p)
	}
}

func contextTar(t *testing.T, files tree) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content))}))
		_, err := tw.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func TestOpenContextFromStdinTakesATarOrALoneDockerfile(t *testing.T) {
	archive := contextTar(t, tree{"Dockerfile": "FROM tar", "build/Df": "FROM inner", "app/main.go": "go", ".dockerignore": "*.log\n"})
	tests := []struct {
		name       string
		stdin      []byte
		dockerfile string
		want       string
		wantFiles  []string
		wantErr    string
	}{
		{name: "plain tar", stdin: archive, want: "FROM tar", wantFiles: []string{"app/main.go"}},
		{name: "gzip tar", stdin: compressWith(t, "gzip", archive), want: "FROM tar", wantFiles: []string{"app/main.go"}},
		{name: "zstd tar", stdin: compressWith(t, "zstd", archive), want: "FROM tar", wantFiles: []string{"app/main.go"}},
		{name: "xz tar", stdin: compressWith(t, "xz", archive), want: "FROM tar", wantFiles: []string{"app/main.go"}},
		{name: "-f names a file in the tar", stdin: archive, dockerfile: "build/Df", want: "FROM inner"},
		{name: "-f leading out stays in the tar", stdin: archive, dockerfile: "../../build/Df", want: "FROM inner"},
		{name: "a lone Dockerfile", stdin: []byte("FROM alone\nRUN true\n"), want: "FROM alone\nRUN true\n"},
		{name: "a short lone Dockerfile", stdin: []byte("FROM x"), want: "FROM x"},
		{name: "a tar without the Dockerfile", stdin: contextTar(t, tree{"x": "y"}), wantErr: "cannot locate the Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := OpenContext(ContextOptions{Source: "-", Stdin: bytes.NewReader(tt.stdin), Dockerfile: tt.dockerfile, TempDir: t.TempDir()})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(c.Dockerfile))
			for _, f := range tt.wantFiles {
				assert.FileExists(t, filepath.Join(c.Dir, f))
			}
		})
	}
}

func TestOpenContextFromAURL(t *testing.T) {
	archive := compressWith(t, "gzip", contextTar(t, tree{"Dockerfile": "FROM url", "f": "x"}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ctx.tar.gz":
			_, _ = w.Write(archive)
		case "/Dockerfile":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("FROM plain"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := OpenContext(ContextOptions{Source: srv.URL + "/ctx.tar.gz", TempDir: t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, "FROM url", string(c.Dockerfile))
	assert.FileExists(t, filepath.Join(c.Dir, "f"))

	c, err = OpenContext(ContextOptions{Source: srv.URL + "/Dockerfile", TempDir: t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, "FROM plain", string(c.Dockerfile))
	ents, _ := os.ReadDir(c.Dir)
	assert.Empty(t, ents, "a lone Dockerfile comes with an empty context")

	_, err = OpenContext(ContextOptions{Source: srv.URL + "/missing", TempDir: t.TempDir()})
	assert.ErrorContains(t, err, "404")
}
