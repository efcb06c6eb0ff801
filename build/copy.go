package build

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// copyHashWorkers hash files side by side: enough to overlap reading and
// hashing on a machine shared with other builds.
const copyHashWorkers = 2

// Digest is the content digest of everything this copy would write and
// how: each entry's destination-relative path, type, mode, symlink target
// and content's sha256 (never size or mtime), with Dest, Chown, Chmod, ADD's
// unpacking and the --exclude patterns. Equal digests mean equal results
// on an equal parent file system.
func (p *PreparedCopy) Digest() (digest.Digest, error) {
	if p.digest != "" {
		return p.digest, nil
	}
	if err := p.hashContents(); err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "urun-copy/1\nadd %t\ndest %q dir %t\nchown %q\nchmod %q\nexclude %q\n",
		p.req.Add, p.dest, p.destDir, p.req.Chown, p.req.Chmod, p.req.Exclude)
	firstLink := map[[2]uint64]string{}
	for i, s := range p.sources {
		fmt.Fprintf(h, "source %d %s %q\n", i, s.kind, s.name)
		if s.kind == copyInline {
			sum := sha256.Sum256(s.data)
			fmt.Fprintf(h, "inline %s\n", hex.EncodeToString(sum[:]))
			continue
		}
		for _, e := range s.entries {
			id := fmt.Sprintf("%d/%s", i, e.rel)
			if e.mode.IsRegular() && e.nlink > 1 {
				key := [2]uint64{e.dev, e.ino}
				if first, ok := firstLink[key]; ok {
					fmt.Fprintf(h, "hardlink %q %q\n", e.rel, first)
					continue
				}
				firstLink[key] = id
			}
			fmt.Fprintf(h, "entry %q %s %o %q %s\n", e.rel, copyTypeName(e.mode), copyModeBits(p.entryMode(e)), e.link, e.sum)
			if p.keepsOwners() {
				fmt.Fprintf(h, "owner %d:%d\n", e.uid, e.gid)
			}
		}
	}
	p.digest = digest.NewDigest(digest.SHA256, h)
	return p.digest, nil
}

func copyTypeName(m os.FileMode) string {
	switch m.Type() {
	case 0:
		return "file"
	case fs.ModeDir:
		return "dir"
	case fs.ModeSymlink:
		return "symlink"
	case fs.ModeNamedPipe:
		return "fifo"
	}
	return "other"
}

// copyModeBits is m's permission, setuid, setgid and sticky bits as Unix
// numbers them.
func copyModeBits(m os.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// entryMode is the mode an entry gets: --chmod's, else its own (a
// symlink's never changes).
func (p *PreparedCopy) entryMode(e *copyEntry) os.FileMode {
	if e.mode.Type() == fs.ModeSymlink {
		return e.mode
	}
	if p.chmod != nil {
		return *p.chmod
	}
	return e.mode &^ fs.ModeType
}

// hashContents fills in every regular file's content sha256, reading with
// a large buffer in copyHashWorkers goroutines.
func (p *PreparedCopy) hashContents() error {
	var todo []*copyEntry
	for _, s := range p.sources {
		if s.kind == copyInline {
			continue
		}
		for _, e := range s.entries {
			if e.mode.IsRegular() && e.sum == "" {
				todo = append(todo, e)
			}
		}
	}
	if len(todo) == 0 {
		return nil
	}
	work := make(chan *copyEntry)
	errs := make(chan error, copyHashWorkers)
	var wg sync.WaitGroup
	for range copyHashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, fetchBufferSize)
			h := sha256.New()
			for e := range work {
				sum, err := copyHashFile(e.path, h, buf)
				if err != nil {
					errs <- err
					for range work { // let the feeder finish
					}
					return
				}
				e.sum = sum
			}
		}()
	}
	for _, e := range todo {
		work <- e
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

func copyHashFile(p string, h hash.Hash, buf []byte) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	h.Reset()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyOwner is who owns what a copy writes.
type copyOwner struct{ UID, GID int }

// copyParseChown splits --chown into its user and group ("" if not given).
func copyParseChown(s string) (user, group string, err error) {
	if s == "" {
		return "", "", nil
	}
	user, group, _ = strings.Cut(s, ":")
	if user == "" {
		return "", "", fmt.Errorf("invalid --chown=%s: a user is required", s)
	}
	return user, group, nil
}

// copyResolveOwner turns --chown into ids with Docker's rules: names are
// looked up in the destination's /etc/passwd and /etc/group, numbers are
// taken as they are; without a group, a user name brings its primary
// group and a uid the same number as gid.
func copyResolveOwner(rootfs, chown string) (copyOwner, error) {
	user, group, err := copyParseChown(chown)
	if err != nil || user == "" {
		return copyOwner{}, err
	}
	var o copyOwner
	if n, err := strconv.Atoi(user); err == nil {
		o = copyOwner{UID: n, GID: n}
	} else {
		rec, err := copyLookup(rootfs, "/etc/passwd", user, 4)
		if err != nil {
			return copyOwner{}, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: %w", user, err)
		}
		uid, err1 := strconv.Atoi(rec[2])
		gid, err2 := strconv.Atoi(rec[3])
		if err1 != nil || err2 != nil {
			return copyOwner{}, fmt.Errorf("user %s: malformed /etc/passwd entry", user)
		}
		o = copyOwner{UID: uid, GID: gid}
	}
	if group == "" {
		return o, nil
	}
	if n, err := strconv.Atoi(group); err == nil {
		o.GID = n
		return o, nil
	}
	rec, err := copyLookup(rootfs, "/etc/group", group, 3)
	if err != nil {
		return copyOwner{}, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find gid for group %s: %w", group, err)
	}
	gid, err := strconv.Atoi(rec[2])
	if err != nil {
		return copyOwner{}, fmt.Errorf("group %s: malformed /etc/group entry", group)
	}
	o.GID = gid
	return o, nil
}

// copyLookup finds name's record in the colon-separated file file of
// rootfs (resolved inside it); the record has at least fields fields.
func copyLookup(rootfs, file, name string, fields int) ([]string, error) {
	p, err := securejoin.SecureJoin(rootfs, file)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no %s in the image", file)
		}
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rec := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(rec) >= fields && rec[0] == name {
			return rec, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return nil, fmt.Errorf("no matching entries in %s", path.Base(file))
}

// Into performs the copy into rootfs, the mounted root file system of the
// layer being built. Dest and its parents resolve inside rootfs (a
// symlink there is followed within it); missing ones are made 0755 for
// the copy's owner (as BuildKit does). Entries below Dest are never
// followed: a symlink or file where a directory goes is an error, as in
// BuildKit.
func (p *PreparedCopy) Into(rootfs string) error {
	if len(p.sources) == 0 {
		return nil // only globs that matched nothing: BuildKit writes nothing
	}
	root, err := filepath.Abs(rootfs)
	if err != nil {
		return err
	}
	owner, err := copyResolveOwner(root, p.req.Chown)
	if err != nil {
		return err
	}
	w := &copyWriter{p: p, root: root, owner: owner, links: map[[2]uint64]string{}}
	for _, s := range p.sources {
		if err := w.source(s); err != nil {
			return fmt.Errorf("%s %s to %s: %w", copyCommand(p.req.Add), s.named, p.req.Dest, err)
		}
	}
	// Innermost first: making an entry in a directory changes its time.
	for i := len(w.dirs) - 1; i >= 0; i-- {
		if err := copySetTimes(w.dirs[i].path, w.dirs[i].mtime); err != nil {
			return err
		}
	}
	return nil
}

type copyWriter struct {
	p     *PreparedCopy
	root  string
	owner copyOwner
	links map[[2]uint64]string // a hard-linked source inode's first copy
	dirs  []copyDirTimes
}

type copyDirTimes struct {
	path  string
	mtime time.Time
}

// inRoot is host path h as seen inside the root, for messages.
func (w *copyWriter) inRoot(h string) string {
	return "/" + strings.TrimPrefix(strings.TrimPrefix(h, w.root), "/")
}

func (w *copyWriter) source(s *copySource) error {
	switch s.kind {
	case copyTree:
		dir, err := w.mkdirAll(w.p.dest)
		if err != nil {
			return err
		}
		for _, e := range s.entries {
			if err := w.entry(e, filepath.Join(dir, filepath.FromSlash(e.rel))); err != nil {
				return err
			}
		}
		return nil
	case copyArchive:
		dir, err := w.mkdirAll(w.p.dest)
		if err != nil {
			return err
		}
		f, err := os.Open(s.entries[0].path)
		if err != nil {
			return err
		}
		defer f.Close()
		o := fetchUnpackOptions{KeepOwners: true}
		if w.p.req.Chown != "" {
			o.Chown = &w.owner
		}
		return fetchUnpack(f, dir, o)
	}
	target, err := w.fileTarget(s.name)
	if err != nil {
		return err
	}
	if s.kind == copyInline {
		if err := w.clearFor(target, false); err != nil {
			return err
		}
		if err := fetchWriteFile(target, strings.NewReader(string(s.data))); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if w.p.chmod != nil {
			mode = *w.p.chmod
		}
		return w.finishEntry(target, w.owner, mode, s.mtime, false)
	}
	return w.entry(s.entries[0], target)
}

// fileTarget is where a source that is no tree goes: into Dest when Dest
// names or is a directory, else to Dest itself.
func (w *copyWriter) fileTarget(name string) (string, error) {
	if w.p.destDir {
		dir, err := w.mkdirAll(w.p.dest)
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, name), nil
	}
	host, err := securejoin.SecureJoin(w.root, w.p.dest)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", w.p.dest, err)
	}
	if fi, err := os.Stat(host); err == nil && fi.IsDir() {
		return filepath.Join(host, name), nil
	}
	dir, err := w.mkdirAll(w.inRoot(filepath.Dir(host)))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(host)), nil
}

// mkdirAll makes the root path dir and its missing parents, resolving
// symlinks inside the root; it returns the host path.
func (w *copyWriter) mkdirAll(dir string) (string, error) {
	host, err := securejoin.SecureJoin(w.root, dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	rel, err := filepath.Rel(w.root, host)
	if err != nil || rel == "." {
		return w.root, nil
	}
	cur := w.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return "", fmt.Errorf("cannot copy to non-directory: %s", w.inRoot(cur))
		case !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("create directory %s: %w", w.inRoot(cur), err)
		}
		if err := os.Mkdir(cur, 0o755); err != nil {
			return "", fmt.Errorf("create directory %s: %w", w.inRoot(cur), err)
		}
		if err := os.Lchown(cur, w.owner.UID, w.owner.GID); err != nil {
			return "", fmt.Errorf("chown %s to %d:%d: %w", w.inRoot(cur), w.owner.UID, w.owner.GID, err)
		}
		if err := os.Chmod(cur, 0o755); err != nil { // past the umask
			return "", fmt.Errorf("set the mode of %s: %w", w.inRoot(cur), err)
		}
	}
	return host, nil
}

// clearFor makes room for a new entry at target: a non-directory there
// goes; a directory stays for a directory and is an error otherwise.
func (w *copyWriter) clearFor(target string, isDir bool) error {
	fi, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir() && isDir:
		return nil
	case fi.IsDir():
		return fmt.Errorf("cannot replace directory %s with a file", w.inRoot(target))
	case isDir:
		return fmt.Errorf("cannot copy to non-directory: %s", w.inRoot(target))
	}
	if err := os.Remove(target); err != nil {
		return fmt.Errorf("replace %s: %w", w.inRoot(target), err)
	}
	return nil
}

// entry writes one source entry at target (whose parent exists).
func (w *copyWriter) entry(e *copyEntry, target string) error {
	isDir := e.mode.IsDir()
	if err := w.clearFor(target, isDir); err != nil {
		return err
	}
	mode := w.p.entryMode(e)
	switch e.mode.Type() {
	case fs.ModeDir:
		if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create directory %s: %w", w.inRoot(target), err)
		}
		if err := w.finishEntry(target, w.ownerOf(e), mode, time.Time{}, false); err != nil {
			return err
		}
		w.dirs = append(w.dirs, copyDirTimes{target, e.mtime})
		return nil
	case fs.ModeSymlink:
		if err := os.Symlink(e.link, target); err != nil {
			return fmt.Errorf("create symlink %s: %w", w.inRoot(target), err)
		}
		return w.finishEntry(target, w.ownerOf(e), 0, e.mtime, true)
	case fs.ModeNamedPipe:
		if err := unix.Mkfifo(target, 0o600); err != nil {
			return fmt.Errorf("create fifo %s: %w", w.inRoot(target), err)
		}
		return w.finishEntry(target, w.ownerOf(e), mode, e.mtime, false)
	}
	if e.nlink > 1 {
		key := [2]uint64{e.dev, e.ino}
		if first, ok := w.links[key]; ok {
			if err := os.Link(first, target); err != nil {
				return fmt.Errorf("create hard link %s: %w", w.inRoot(target), err)
			}
			return nil
		}
		w.links[key] = target
	}
	out, err := copyFileContentOpen(e.path, target)
	if err != nil {
		return err
	}
	// Owner, mode and times through the open file: each by path would
	// walk the overlay mount again (thousands of small files).
	owner := w.ownerOf(e)
	err = out.Chown(owner.UID, owner.GID)
	if err == nil {
		err = out.Chmod(mode)
	}
	if err == nil {
		tv := unix.NsecToTimeval(e.mtime.UnixNano())
		err = unix.Futimes(int(out.Fd()), []unix.Timeval{tv, tv})
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("finish %s: %w", w.inRoot(target), err)
	}
	return nil
}

// copyFileContentOpen copies the file src into the new file target (the
// kernel copies, copy_file_range, where it can) and returns it open.
func copyFileContentOpen(src, target string) (*os.File, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", target, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return nil, fmt.Errorf("copy %s to %s: %w", src, target, err)
	}
	return out, nil
}

// ownerOf is the owner entry e gets.
func (w *copyWriter) ownerOf(e *copyEntry) copyOwner {
	if w.p.keepsOwners() {
		return copyOwner{UID: e.uid, GID: e.gid}
	}
	return w.owner
}

// keepsOwners says whether entries keep their own owners.
func (p *PreparedCopy) keepsOwners() bool { return p.req.KeepOwners && p.req.Chown == "" }

// finishEntry gives a new entry its owner, then its mode (chown clears
// setuid), then its times (a zero mtime leaves them, for directories done
// last).
func (w *copyWriter) finishEntry(target string, owner copyOwner, mode os.FileMode, mtime time.Time, symlink bool) error {
	if err := os.Lchown(target, owner.UID, owner.GID); err != nil {
		return fmt.Errorf("chown %s to %d:%d: %w", w.inRoot(target), owner.UID, owner.GID, err)
	}
	if !symlink {
		if err := os.Chmod(target, mode); err != nil {
			return fmt.Errorf("set the mode of %s: %w", w.inRoot(target), err)
		}
	}
	if mtime.IsZero() {
		return nil
	}
	return copySetTimes(target, mtime)
}

// copySetTimes sets p's access and modification times to mtime, never
// following a symlink.
func copySetTimes(p string, mtime time.Time) error {
	ts := unix.NsecToTimespec(mtime.UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set the times of %s: %w", p, err)
	}
	return nil
}
