package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ulikunitz/xz"
)

// tree entries: "path" = "content" makes a file, "path/" = "" a
// directory, "path" = "-> target" a symlink.
type tree map[string]string

func makeTree(t *testing.T, root string, files tree) {
	t.Helper()
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := files[k]
		p := filepath.Join(root, k)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		switch {
		case strings.HasSuffix(k, "/"):
			require.NoError(t, os.MkdirAll(p, 0o755))
		case strings.HasPrefix(v, "-> "):
			require.NoError(t, os.Symlink(strings.TrimPrefix(v, "-> "), p))
		default:
			require.NoError(t, os.WriteFile(p, []byte(v), 0o644))
		}
	}
}

// readTree describes root as a tree (files' contents, "-> target" for
// symlinks, "path/" for directories).
func readTree(t *testing.T, root string) tree {
	t.Helper()
	out := tree{}
	require.NoError(t, filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		switch {
		case fi.IsDir():
			out[rel+"/"] = ""
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		default:
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	}))
	return out
}

func doCopy(t *testing.T, r CopyRequest, rootfs string) error {
	t.Helper()
	p, err := PrepareCopy(r)
	if err != nil {
		return err
	}
	if _, err := p.Digest(); err != nil {
		return err
	}
	return p.Into(rootfs)
}

func TestCopyPlacesSourcesWhereDockerDoes(t *testing.T) {
	ctx := tree{
		"a.txt":           "A",
		"b.txt":           "B",
		"c.md":            "C",
		"dir/x":           "X",
		"dir/sub/y":       "Y",
		"dir/rel-link":    "-> x",
		"link-to-a":       "-> a.txt",
		"link-to-dir":     "-> dir",
		"abs-link-to-a":   "-> /a.txt",
		"escaping-link":   "-> ../../../../a.txt",
		"empty/":          "",
		"one/only.txt":    "O",
		"two/sub/y":       "Y2",
		"three/sub/other": "Z",
	}
	tests := []struct {
		name    string
		sources []string
		inline  []InlineFile
		dest    string
		workdir string
		rootfs  tree
		want    tree // added to rootfs's own entries
		wantErr string
	}{
		{name: "file to a new name", sources: []string{"a.txt"}, dest: "/new", want: tree{"new": "A"}},
		{name: "file to a path ending in /", sources: []string{"a.txt"}, dest: "/d/", want: tree{"d/": "", "d/a.txt": "A"}},
		{name: "file into an existing directory named without /", sources: []string{"a.txt"}, dest: "/existing",
			rootfs: tree{"existing/": ""}, want: tree{"existing/a.txt": "A"}},
		{name: "file replaces an existing file", sources: []string{"a.txt"}, dest: "/f",
			rootfs: tree{"f": "old"}, want: tree{"f": "A"}},
		{name: "file to missing parents", sources: []string{"a.txt"}, dest: "/p/q/r",
			want: tree{"p/": "", "p/q/": "", "p/q/r": "A"}},
		{name: "directory copies its contents", sources: []string{"dir"}, dest: "/d",
			want: tree{"d/": "", "d/x": "X", "d/sub/": "", "d/sub/y": "Y", "d/rel-link": "-> x"}},
		{name: "directory with / copies its contents", sources: []string{"dir/"}, dest: "/d/",
			want: tree{"d/": "", "d/x": "X", "d/sub/": "", "d/sub/y": "Y", "d/rel-link": "-> x"}},
		{name: "directory into an existing directory merges", sources: []string{"dir"}, dest: "/d",
			rootfs: tree{"d/keep": "K", "d/x": "old"},
			want:   tree{"d/x": "X", "d/sub/": "", "d/sub/y": "Y", "d/rel-link": "-> x"}},
		{name: "empty directory makes the destination", sources: []string{"empty"}, dest: "/e", want: tree{"e/": ""}},
		{name: "dot copies the whole context", sources: []string{"one/."}, dest: "/o", want: tree{"o/": "", "o/only.txt": "O"}},
		{name: "dest . is the working directory", sources: []string{"a.txt"}, dest: ".", workdir: "/app",
			want: tree{"app/": "", "app/a.txt": "A"}},
		{name: "relative dest is under the working directory", sources: []string{"a.txt"}, dest: "rel", workdir: "/app",
			want: tree{"app/": "", "app/rel": "A"}},
		{name: "relative dest with / under the working directory", sources: []string{"a.txt"}, dest: "sub/", workdir: "/app",
			want: tree{"app/": "", "app/sub/": "", "app/sub/a.txt": "A"}},
		{name: "glob matching several needs /", sources: []string{"*.txt"}, dest: "/g/",
			want: tree{"g/": "", "g/a.txt": "A", "g/b.txt": "B"}},
		{name: "glob matching one file to a name", sources: []string{"*.md"}, dest: "/readme", want: tree{"readme": "C"}},
		{name: "glob matching several without / fails", sources: []string{"*.txt"}, dest: "/g",
			wantErr: "When using COPY with more than one source file, the destination must be a directory and end with a /"},
		{name: "two sources without / fail", sources: []string{"a.txt", "c.md"}, dest: "/g",
			wantErr: "the destination must be a directory and end with a /"},
		{name: "glob matching nothing copies nothing", sources: []string{"*.nothing"}, dest: "/g/", want: tree{}},
		{name: "glob in a directory level", sources: []string{"t*/sub"}, dest: "/s/",
			want: tree{"s/": "", "s/y": "Y2", "s/other": "Z"}},
		{name: "glob with a later plain element", sources: []string{"*/only.txt"}, dest: "/s/",
			want: tree{"s/": "", "s/only.txt": "O"}},
		{name: "missing source fails naming it", sources: []string{"nope.txt"}, dest: "/d/",
			wantErr: "file not found in build context or excluded by .dockerignore: stat nope.txt"},
		{name: "source leading out of the context is clamped to it", sources: []string{"../../a.txt"}, dest: "/d/",
			want: tree{"d/": "", "d/a.txt": "A"}},
		{name: "absolute source is in the context", sources: []string{"/a.txt"}, dest: "/d/",
			want: tree{"d/": "", "d/a.txt": "A"}},
		{name: "symlink named as a source is followed", sources: []string{"link-to-a"}, dest: "/d/",
			want: tree{"d/": "", "d/link-to-a": "A"}},
		{name: "symlink to a directory copies its contents", sources: []string{"link-to-dir"}, dest: "/d",
			want: tree{"d/": "", "d/x": "X", "d/sub/": "", "d/sub/y": "Y", "d/rel-link": "-> x"}},
		{name: "absolute symlink source resolves in the context", sources: []string{"abs-link-to-a"}, dest: "/f",
			want: tree{"f": "A"}},
		{name: "escaping symlink source stays in the context", sources: []string{"escaping-link"}, dest: "/f",
			want: tree{"f": "A"}},
		{name: "dest through a symlink in the rootfs", sources: []string{"a.txt"}, dest: "/lnk/",
			rootfs: tree{"real/": "", "lnk": "-> real"}, want: tree{"real/a.txt": "A"}},
		{name: "dest symlink leading out resolves inside the rootfs", sources: []string{"a.txt"}, dest: "/esc/",
			rootfs: tree{"esc": "-> ../../../../tmp/outside"},
			want:   tree{"tmp/": "", "tmp/outside/": "", "tmp/outside/a.txt": "A"}},
		{name: "directory over a file fails", sources: []string{"dir"}, dest: "/f",
			rootfs: tree{"f": "file"}, wantErr: "cannot copy to non-directory: /f"},
		{name: "file over a directory entry fails", sources: []string{"a.txt"}, dest: "/d/",
			rootfs: tree{"d/a.txt/": ""}, wantErr: "cannot replace directory /d/a.txt with a file"},
		{name: "directory entry over a symlink fails as in BuildKit", sources: []string{"dir"}, dest: "/d/",
			rootfs: tree{"d/sub": "-> /etc"}, wantErr: "cannot copy to non-directory: /d/sub"},
		{name: "file entry replaces a symlink, never writing through it", sources: []string{"dir"}, dest: "/d/",
			rootfs: tree{"d/x": "-> /target", "target": "T"}, want: tree{"d/x": "X", "d/sub/": "", "d/sub/y": "Y", "d/rel-link": "-> x"}},
		{name: "inline file to a name", inline: []InlineFile{{"EOF", "hello\n"}}, dest: "/etc/conf",
			want: tree{"etc/": "", "etc/conf": "hello\n"}},
		{name: "inline file into a directory", inline: []InlineFile{{"script.sh", "echo\n"}}, dest: "/bin/",
			want: tree{"bin/": "", "bin/script.sh": "echo\n"}},
		{name: "inline and file sources need /", sources: []string{"a.txt"}, inline: []InlineFile{{"x", "1"}}, dest: "/d",
			wantErr: "must be a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, rootfs := t.TempDir(), t.TempDir()
			makeTree(t, src, ctx)
			makeTree(t, rootfs, tt.rootfs)
			before := readTree(t, rootfs)
			err := doCopy(t, CopyRequest{Sources: tt.sources, Inline: tt.inline, Dest: tt.dest, WorkDir: tt.workdir,
				SourceRoot: src, Context: &Context{Dir: src}}, rootfs)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			want := before
			for k, v := range tt.want {
				want[k] = v
			}
			assert.Equal(t, want, readTree(t, rootfs))
		})
	}
}

func TestCopyKeepsModesTimesAndHardLinksAndOwnsByRoot(t *testing.T) {
	src, rootfs := t.TempDir(), t.TempDir()
	makeTree(t, src, tree{"d/suid": "s", "d/sticky/": "", "d/plain": "p", "d/link": "-> plain"})
	require.NoError(t, os.Chmod(filepath.Join(src, "d/suid"), 0o4755|os.ModeSetuid))
	require.NoError(t, os.Chmod(filepath.Join(src, "d/suid"), os.ModeSetuid|0o755))
	require.NoError(t, os.Chmod(filepath.Join(src, "d/sticky"), os.ModeSticky|0o777))
	require.NoError(t, os.Chmod(filepath.Join(src, "d/plain"), 0o640))
	require.NoError(t, os.Link(filepath.Join(src, "d/plain"), filepath.Join(src, "d/hard")))
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, p := range []string{"d/suid", "d/sticky", "d/plain", "d"} {
		require.NoError(t, os.Chtimes(filepath.Join(src, p), old, old))
	}
	require.NoError(t, os.Lchown(filepath.Join(src, "d/plain"), 1234, 1234))

	require.NoError(t, doCopy(t, CopyRequest{Sources: []string{"d"}, Dest: "/out", SourceRoot: src}, rootfs))

	st := func(p string) os.FileInfo {
		fi, err := os.Lstat(filepath.Join(rootfs, p))
		require.NoError(t, err)
		return fi
	}
	assert.Equal(t, os.ModeSetuid|0o755, st("out/suid").Mode()&^os.ModeType)
	assert.Equal(t, os.ModeDir|os.ModeSticky|0o777, st("out/sticky").Mode())
	assert.Equal(t, os.FileMode(0o640), st("out/plain").Mode())
	for _, p := range []string{"out/suid", "out/sticky", "out/plain"} {
		assert.True(t, st(p).ModTime().Equal(old), "%s keeps its mtime", p)
	}
	for _, p := range []string{"out", "out/suid", "out/plain", "out/link", "out/hard"} {
		sys := st(p).Sys().(*syscall.Stat_t)
		assert.Equal(t, [2]uint32{0, 0}, [2]uint32{sys.Uid, sys.Gid}, "%s belongs to root", p)
	}
	assert.Equal(t, st("out/plain").Sys().(*syscall.Stat_t).Ino, st("out/hard").Sys().(*syscall.Stat_t).Ino, "hard links stay linked")
	assert.Equal(t, os.FileMode(0o755)|os.ModeDir, st("out").Mode(), "the destination made for a directory's contents is 0755")
}

func TestCopyChownResolvesNamesInTheDestinationImage(t *testing.T) {
	rootfsFiles := tree{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1001:Bob:/home/bob:/bin/sh\n",
		"etc/group":  "root:x:0:\nbobs:x:1001:\nstaff:x:50:bob\n",
	}
	tests := []struct {
		chown    string
		uid, gid uint32
		wantErr  string
	}{
		{chown: "", uid: 0, gid: 0},
		{chown: "1000", uid: 1000, gid: 1000},
		{chown: "bob", uid: 1000, gid: 1001},
		{chown: "bob:staff", uid: 1000, gid: 50},
		{chown: "bob:77", uid: 1000, gid: 77},
		{chown: "1000:staff", uid: 1000, gid: 50},
		{chown: "2000:3000", uid: 2000, gid: 3000},
		{chown: "alice", wantErr: "can't find uid for user alice"},
		{chown: "bob:nogroup", wantErr: "can't find gid for group nogroup"},
		{chown: ":staff", wantErr: "a user is required"},
	}
	for _, tt := range tests {
		t.Run(tt.chown, func(t *testing.T) {
			src, rootfs := t.TempDir(), t.TempDir()
			makeTree(t, src, tree{"dir/f": "F", "dir/sub/g": "G", "dir/l": "-> f"})
			makeTree(t, rootfs, rootfsFiles)
			err := doCopy(t, CopyRequest{Sources: []string{"dir"}, Dest: "/new/parent/", Chown: tt.chown, SourceRoot: src}, rootfs)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			for _, p := range []string{"new", "new/parent", "new/parent/f", "new/parent/sub", "new/parent/sub/g", "new/parent/l"} {
				fi, err := os.Lstat(filepath.Join(rootfs, p))
				require.NoError(t, err)
				sys := fi.Sys().(*syscall.Stat_t)
				assert.Equal(t, [2]uint32{tt.uid, tt.gid}, [2]uint32{sys.Uid, sys.Gid}, p)
			}
		})
	}
}

func TestCopyChmodAppliesToFilesAndDirectories(t *testing.T) {
	src, rootfs := t.TempDir(), t.TempDir()
	makeTree(t, src, tree{"dir/f": "F", "dir/sub/g": "G", "dir/l": "-> f"})
	require.NoError(t, doCopy(t, CopyRequest{Sources: []string{"dir"}, Dest: "/d", Chmod: "0750", SourceRoot: src}, rootfs))
	for _, p := range []string{"d/f", "d/sub", "d/sub/g"} {
		fi, err := os.Lstat(filepath.Join(rootfs, p))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o750), fi.Mode().Perm(), p)
	}
	require.NoError(t, doCopy(t, CopyRequest{Inline: []InlineFile{{"x", "x"}}, Dest: "/x", Chmod: "4755", SourceRoot: src}, rootfs))
	fi, err := os.Lstat(filepath.Join(rootfs, "x"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeSetuid|0o755, fi.Mode())

	for _, bad := range []string{"u+x", "999", "17777", "rwx"} {
		_, err := PrepareCopy(CopyRequest{Sources: []string{"dir"}, Dest: "/d", Chmod: bad, SourceRoot: src})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "invalid chmod parameter", bad)
	}
}

func TestInlineFilesAreWrittenWithMode0644(t *testing.T) {
	rootfs := t.TempDir()
	require.NoError(t, doCopy(t, CopyRequest{Inline: []InlineFile{{"EOF", "data"}}, Dest: "/f"}, rootfs))
	fi, err := os.Stat(filepath.Join(rootfs, "f"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode())
}

func TestDockerignoreDecidesWhatACopyOfTheContextTakes(t *testing.T) {
	files := tree{
		"Dockerfile":       "FROM x",
		"app.go":           "go",
		"debug.log":        "log",
		"keep.log":         "keep",
		"build/out":        "o",
		"build/keep/me":    "m",
		"deep/a/b/c.tmp":   "tmp",
		"deep/a/b/c.go":    "go",
		"node_modules/x/y": "y",
		"secret":           "s",
		"docs/readme":      "r",
		"docs/internal/x":  "x",
	}
	tests := []struct {
		name   string
		ignore string
		want   []string
	}{
		{name: "no ignore file takes everything", ignore: "",
			want: []string{"Dockerfile", "app.go", "build/keep/me", "build/out", "debug.log", "deep/a/b/c.go", "deep/a/b/c.tmp", "docs/internal/x", "docs/readme", "keep.log", "node_modules/x/y", "secret"}},
		{name: "patterns, negation, ** and comments", ignore: "# comment\n*.log\n!keep.log\n**/*.tmp\n/node_modules\n./secret\n",
			want: []string{"Dockerfile", "app.go", "build/keep/me", "build/out", "deep/a/b/c.go", "docs/internal/x", "docs/readme", "keep.log"}},
		{name: "an ignored directory with a file brought back", ignore: "build\n!build/keep/me\n",
			want: []string{"Dockerfile", "app.go", "build/keep/me", "debug.log", "deep/a/b/c.go", "deep/a/b/c.tmp", "docs/internal/x", "docs/readme", "keep.log", "node_modules/x/y", "secret"}},
		{name: "everything but some", ignore: "*\n!docs\ndocs/internal\n",
			want: []string{"docs/readme"}},
		{name: "the Dockerfile and .dockerignore may be ignored", ignore: "Dockerfile\n.dockerignore\n",
			want: []string{"app.go", "build/keep/me", "build/out", "debug.log", "deep/a/b/c.go", "deep/a/b/c.tmp", "docs/internal/x", "docs/readme", "keep.log", "node_modules/x/y", "secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, rootfs := t.TempDir(), t.TempDir()
			makeTree(t, src, files)
			if tt.ignore != "" {
				require.NoError(t, os.WriteFile(filepath.Join(src, ".dockerignore"), []byte(tt.ignore), 0o644))
			}
			c, err := OpenContext(ContextOptions{Source: src})
			require.NoError(t, err)
			assert.Equal(t, "FROM x", string(c.Dockerfile), "the Dockerfile is read even when ignored")
			require.NoError(t, doCopy(t, CopyRequest{Sources: []string{"."}, Dest: "/app/", SourceRoot: c.Dir, Context: c}, rootfs))
			var got []string
			for k := range readTree(t, filepath.Join(rootfs, "app")) {
				if !strings.HasSuffix(k, "/") && k != ".dockerignore" {
					got = append(got, k)
				}
			}
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCopyOfAnIgnoredFileFailsAsIfItWereMissing(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src, tree{"Dockerfile": "FROM x", "secret": "s", "logs/a.log": "a", "x.log": "x", ".dockerignore": "secret\nlogs\n*.log\n"})
	c, err := OpenContext(ContextOptions{Source: src})
	require.NoError(t, err)
	for _, s := range []string{"secret", "logs", "logs/a.log", "x.log"} {
		_, err := PrepareCopy(CopyRequest{Sources: []string{s}, Dest: "/d/", SourceRoot: src, Context: c})
		require.Error(t, err, s)
		assert.Contains(t, err.Error(), "excluded by .dockerignore", s)
	}
	// A glob just skips ignored matches.
	p, err := PrepareCopy(CopyRequest{Sources: []string{"*.log"}, Dest: "/d/", SourceRoot: src, Context: c})
	require.NoError(t, err)
	assert.Empty(t, p.sources)
	// Without a context (COPY --from) nothing is ignored.
	_, err = PrepareCopy(CopyRequest{Sources: []string{"secret"}, Dest: "/d/", SourceRoot: src})
	require.NoError(t, err)
}

func TestCopyExcludeLeavesOutMatchingFiles(t *testing.T) {
	files := tree{"home.txt": "t", "home.md": "m", "homer/a.txt": "a", "homer/b.go": "b", "homer/sub/c.txt": "c"}
	tests := []struct {
		name    string
		sources []string
		exclude []string
		want    []string
	}{
		{name: "excluded glob matches", sources: []string{"hom*"}, exclude: []string{"*.txt"},
			want: []string{"b.go", "home.md", "sub/c.txt"}},
		{name: "inside a directory, relative to it", sources: []string{"homer"}, exclude: []string{"**/*.txt"},
			want: []string{"b.go"}},
		{name: "negation", sources: []string{"homer"}, exclude: []string{"*", "!b.go"},
			want: []string{"b.go"}},
		{name: "an excluded directory", sources: []string{"homer"}, exclude: []string{"sub"},
			want: []string{"a.txt", "b.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, rootfs := t.TempDir(), t.TempDir()
			makeTree(t, src, files)
			require.NoError(t, doCopy(t, CopyRequest{Sources: tt.sources, Dest: "/d/", Exclude: tt.exclude, SourceRoot: src}, rootfs))
			var got []string
			for k := range readTree(t, filepath.Join(rootfs, "d")) {
				if !strings.HasSuffix(k, "/") {
					got = append(got, k)
				}
			}
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
		})
	}
}

func tarBytes(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Linkname))
			body := h.Linkname
			h.Linkname = ""
			require.NoError(t, tw.WriteHeader(h))
			_, err := tw.Write([]byte(body))
			require.NoError(t, err)
			continue
		}
		require.NoError(t, tw.WriteHeader(h))
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// sampleTar holds a directory, a file (its content in Linkname for
// tarBytes) owned by 1000:1000, a symlink and a hard link.
func sampleTar(t *testing.T) []byte {
	mt := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	return tarBytes(t,
		&tar.Header{Name: "top/", Typeflag: tar.TypeDir, Mode: 0o750, ModTime: mt},
		&tar.Header{Name: "top/file", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 1000, Gid: 1000, Linkname: "content", ModTime: mt},
		&tar.Header{Name: "top/sym", Typeflag: tar.TypeSymlink, Linkname: "file", ModTime: mt},
		&tar.Header{Name: "top/hard", Typeflag: tar.TypeLink, Linkname: "top/file", ModTime: mt},
	)
}

func compressWith(t *testing.T, kind string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch kind {
	case "tar":
		return data
	case "gzip":
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(data)
		require.NoError(t, zw.Close())
	case "xz":
		xw, err := xz.NewWriter(&buf)
		require.NoError(t, err)
		_, _ = xw.Write(data)
		require.NoError(t, xw.Close())
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		require.NoError(t, err)
		_, _ = zw.Write(data)
		require.NoError(t, zw.Close())
	case "bzip2":
		if _, err := exec.LookPath("bzip2"); err != nil {
			t.Skip("no bzip2 to compress with")
		}
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		require.NoError(t, err)
		return out
	}
	return buf.Bytes()
}

func TestAddUnpacksLocalArchivesOfEveryCompression(t *testing.T) {
	for _, kind := range []string{"tar", "gzip", "bzip2", "xz", "zstd"} {
		t.Run(kind, func(t *testing.T) {
			src, rootfs := t.TempDir(), t.TempDir()
			// The name says nothing: Docker goes by content.
			require.NoError(t, os.WriteFile(filepath.Join(src, "archive.bin"), compressWith(t, kind, sampleTar(t)), 0o644))
			require.NoError(t, doCopy(t, CopyRequest{Add: true, Sources: []string{"archive.bin"}, Dest: "/x", SourceRoot: src}, rootfs))
			assert.Equal(t, tree{"x/": "", "x/top/": "", "x/top/file": "content", "x/top/sym": "-> file", "x/top/hard": "content"}, readTree(t, rootfs))
			fi, err := os.Lstat(filepath.Join(rootfs, "x/top/file"))
			require.NoError(t, err)
			sys := fi.Sys().(*syscall.Stat_t)
			assert.Equal(t, [2]uint32{1000, 1000}, [2]uint32{sys.Uid, sys.Gid}, "ADD keeps the archive's owners")
			assert.Equal(t, os.FileMode(0o640), fi.Mode())
			assert.Equal(t, 2010, fi.ModTime().Year())
			dfi, err := os.Lstat(filepath.Join(rootfs, "x/top"))
			require.NoError(t, err)
			assert.Equal(t, os.ModeDir|0o750, dfi.Mode())
			assert.Equal(t, 2010, dfi.ModTime().Year())
		})
	}
}

func TestAddWithChownOwnsUnpackedFilesByIt(t *testing.T) {
	src, rootfs := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.tar"), sampleTar(t), 0o644))
	require.NoError(t, doCopy(t, CopyRequest{Add: true, Sources: []string{"a.tar"}, Dest: "/x/", Chown: "7:8", SourceRoot: src}, rootfs))
	fi, err := os.Lstat(filepath.Join(rootfs, "x/top/file"))
	require.NoError(t, err)
	sys := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, [2]uint32{7, 8}, [2]uint32{sys.Uid, sys.Gid})
}

func TestCopyOfAnArchiveDoesNotUnpackIt(t *testing.T) {
	src, rootfs := t.TempDir(), t.TempDir()
	data := sampleTar(t)
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.tar"), data, 0o644))
	require.NoError(t, doCopy(t, CopyRequest{Sources: []string{"a.tar"}, Dest: "/x/", SourceRoot: src}, rootfs))
	got, err := os.ReadFile(filepath.Join(rootfs, "x/a.tar"))
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

func TestAddOfACompressedNonArchiveCopiesTheFile(t *testing.T) {
	src, rootfs := t.TempDir(), t.TempDir()
	data := compressWith(t, "gzip", []byte("just text"))
	require.NoError(t, os.WriteFile(filepath.Join(src, "t.gz"), data, 0o644))
	require.NoError(t, doCopy(t, CopyRequest{Add: true, Sources: []string{"t.gz"}, Dest: "/x/", SourceRoot: src}, rootfs))
	got, err := os.ReadFile(filepath.Join(rootfs, "x/t.gz"))
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

func TestAddRefusesArchiveEntriesLeadingOutOfTheDestination(t *testing.T) {
	tests := map[string][]byte{
		"dot-dot name":      tarBytes(t, &tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644, Linkname: "x"}),
		"dot-dot hard link": tarBytes(t, &tar.Header{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			src, rootfs := t.TempDir(), t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(src, "a.tar"), data, 0o644))
			err := doCopy(t, CopyRequest{Add: true, Sources: []string{"a.tar"}, Dest: "/x/", SourceRoot: src}, rootfs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "leads out of the destination")
		})
	}
	t.Run("symlink then a file through it", func(t *testing.T) {
		src, rootfs, outside := t.TempDir(), t.TempDir(), t.TempDir()
		data := tarBytes(t,
			&tar.Header{Name: "esc", Typeflag: tar.TypeSymlink, Linkname: outside},
			&tar.Header{Name: "esc/pwned", Typeflag: tar.TypeReg, Mode: 0o644, Linkname: "x"})
		require.NoError(t, os.WriteFile(filepath.Join(src, "a.tar"), data, 0o644))
		require.NoError(t, doCopy(t, CopyRequest{Add: true, Sources: []string{"a.tar"}, Dest: "/x/", SourceRoot: src}, rootfs))
		_, err := os.Stat(filepath.Join(outside, "pwned"))
		assert.True(t, os.IsNotExist(err), "nothing written outside")
		_, err = os.Stat(filepath.Join(rootfs, "x", outside, "pwned"))
		assert.NoError(t, err, "the symlink resolved inside the destination")
	})
}

func TestAddDownloadsURLs(t *testing.T) {
	body := []byte("downloaded content")
	sum := sha256.Sum256(body)
	lastMod := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		url      string
		dest     string
		checksum string
		want     string // path in rootfs
		wantErr  string
	}{
		{name: "into a directory by its URL name", url: srv.URL + "/files/tool.tar.gz?x=1", dest: "/opt/", want: "opt/tool.tar.gz"},
		{name: "to a name", url: srv.URL + "/files/tool", dest: "/usr/bin/t", want: "usr/bin/t"},
		{name: "a URL without a name", url: srv.URL + "/", dest: "/d/", want: "d/__unnamed__"},
		{name: "a matching checksum", url: srv.URL + "/f", dest: "/f", checksum: "sha256:" + hex.EncodeToString(sum[:]), want: "f"},
		{name: "a checksum mismatch", url: srv.URL + "/f", dest: "/f", checksum: "sha256:" + strings.Repeat("0", 64), wantErr: "checksum mismatch"},
		{name: "a malformed checksum", url: srv.URL + "/f", dest: "/f", checksum: "md5:abc", wantErr: "invalid checksum"},
		{name: "a missing file", url: srv.URL + "/missing", dest: "/f", wantErr: "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootfs := t.TempDir()
			err := doCopy(t, CopyRequest{Add: true, Sources: []string{tt.url}, Dest: tt.dest, Checksum: tt.checksum, FetchDir: t.TempDir()}, rootfs)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			fi, err := os.Stat(filepath.Join(rootfs, tt.want))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode(), "a download is 0600 as in Docker")
			assert.True(t, fi.ModTime().Equal(lastMod), "mtime from Last-Modified")
			got, _ := os.ReadFile(filepath.Join(rootfs, tt.want))
			assert.Equal(t, body, got)
		})
	}
}

func TestCopyRefusesWhatOnlyADDTakes(t *testing.T) {
	_, err := PrepareCopy(CopyRequest{Sources: []string{"https://example.com/x"}, Dest: "/x"})
	require.ErrorContains(t, err, "source can't be a URL for COPY")
	_, err = PrepareCopy(CopyRequest{Sources: []string{"x"}, Dest: "/x", Checksum: "sha256:00", SourceRoot: t.TempDir()})
	require.ErrorContains(t, err, "checksum can't be specified for COPY")
	_, err = PrepareCopy(CopyRequest{Add: true, Sources: []string{"x"}, Dest: "/x", Checksum: "sha256:00", SourceRoot: t.TempDir()})
	require.ErrorContains(t, err, "checksum requires HTTP(S) sources")
}

func TestCopyDigestFollowsContentNotSizeOrTime(t *testing.T) {
	src := t.TempDir()
	makeTree(t, src, tree{"app/main.go": "aaaa", "app/debug.log": "1", "app/sub/x": "x", "Dockerfile": "FROM x", ".dockerignore": "**/*.log\n"})
	mt := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	touch := func(p, content string) {
		full := filepath.Join(src, p)
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
		require.NoError(t, os.Chtimes(full, mt, mt))
	}
	touch("app/main.go", "aaaa")
	dig := func(r CopyRequest) string {
		c, err := OpenContext(ContextOptions{Source: src})
		require.NoError(t, err)
		r.SourceRoot, r.Context = src, c
		if r.Dest == "" {
			r.Dest = "/app/"
		}
		if r.Sources == nil {
			r.Sources = []string{"app"}
		}
		p, err := PrepareCopy(r)
		require.NoError(t, err)
		d, err := p.Digest()
		require.NoError(t, err)
		return d.String()
	}
	base := dig(CopyRequest{})
	assert.Equal(t, base, dig(CopyRequest{}), "stable")

	touch("app/main.go", "bbbb") // same size, same mtime
	changed := dig(CopyRequest{})
	assert.NotEqual(t, base, changed, "a content change shows though size and mtime stay")

	touch("app/debug.log", "a different ignored file")
	assert.Equal(t, changed, dig(CopyRequest{}), "an ignored file does not count")

	require.NoError(t, os.Chtimes(filepath.Join(src, "app/main.go"), time.Now(), time.Now()))
	assert.Equal(t, changed, dig(CopyRequest{}), "an mtime alone does not count")

	for name, r := range map[string]CopyRequest{
		"dest":    {Dest: "/other/"},
		"chown":   {Chown: "1:1"},
		"chmod":   {Chmod: "755"},
		"exclude": {Exclude: []string{"sub"}},
		"add":     {Add: true},
	} {
		assert.NotEqual(t, changed, dig(r), name)
	}
	require.NoError(t, os.Chmod(filepath.Join(src, "app/main.go"), 0o755))
	assert.NotEqual(t, changed, dig(CopyRequest{}), "a mode change counts")
}

func TestCopyDigestOfManyFilesIsQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	src := t.TempDir()
	for i := range 5000 {
		p := filepath.Join(src, fmt.Sprintf("d%02d/f%04d", i%50, i))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(p), 0o644))
	}
	start := time.Now()
	p, err := PrepareCopy(CopyRequest{Sources: []string{"."}, Dest: "/app/", SourceRoot: src, Context: &Context{Dir: src}})
	require.NoError(t, err)
	_, err = p.Digest()
	require.NoError(t, err)
	t.Logf("prepare and digest of 5000 files: %v", time.Since(start))
	start = time.Now()
	require.NoError(t, p.Into(t.TempDir()))
	t.Logf("copy of 5000 files: %v", time.Since(start))
}
