package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	_ "crypto/sha256" // go-digest verifies with the hashes linked in
	_ "crypto/sha512"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// fetchBufferSize is the read size for sniffing, hashing and copying: big
// enough that a 100 MB file is few system calls.
const fetchBufferSize = 1 << 20

// fetchDecompressed returns r's content decompressed when it starts like a
// gzip, bzip2, xz or zstd stream, else r's content as is. close releases
// the decompressor.
func fetchDecompressed(r io.Reader) (out io.Reader, close func(), err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(6)
	none := func() {}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, none, fmt.Errorf("read gzip stream: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), none, nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, none, fmt.Errorf("read xz stream: %w", err)
		}
		return xr, none, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, none, fmt.Errorf("read zstd stream: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, none, nil
}

// fetchLooksLikeTar says whether block (a stream's first bytes) starts
// with a tar header: a valid header checksum, or the two zero blocks of an
// empty archive. Text such as a Dockerfile never passes.
func fetchLooksLikeTar(block []byte) bool {
	if len(block) < 512 {
		return false
	}
	block = block[:512]
	if bytes.Count(block, []byte{0}) == 512 {
		return true
	}
	field := strings.TrimRight(strings.TrimSpace(string(block[148:156])), "\x00 ")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil {
		return false
	}
	var sum int64
	for i, b := range block {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
	}
	return sum == want
}

// fetchIsArchive says whether the regular file at p is a tar archive,
// plain or compressed, judged by its content as Docker's ADD does.
func fetchIsArchive(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	r, closeR, err := fetchDecompressed(f)
	if err != nil {
		return false, nil // compressed but broken: copied as a file, as Docker does
	}
	defer closeR()
	block := make([]byte, 512)
	n, _ := io.ReadFull(r, block)
	return fetchLooksLikeTar(block[:n]), nil
}

// fetchUnpackOptions say how fetchUnpack treats owners.
type fetchUnpackOptions struct {
	// KeepOwners gives entries the archive's uid and gid (ADD without
	// --chown); else they keep the unpacker's (0:0 inside urun).
	KeepOwners bool
	// Chown, when set, overrides every entry's owner.
	Chown *copyOwner
}

// fetchUnpack unpacks the (possibly compressed) tar stream r into the
// existing directory dir, as Docker's ADD does: entries replace what is
// there (a directory stays when the entry is one too), modes, times and
// hard links are kept, names never resolve outside dir (a ".." entry is
// refused, symlinks are followed only inside dir, as in Docker's chroot).
// Device files cannot be made in a user namespace and are skipped, as
// rootless Docker does.
func fetchUnpack(r io.Reader, dir string, o fetchUnpackOptions) error {
	dr, closeR, err := fetchDecompressed(r)
	if err != nil {
		return err
	}
	defer closeR()
	type dirTimes struct {
		path  string
		mtime time.Time
	}
	var dirs []dirTimes
	tr := tar.NewReader(dr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read the archive: %w", err)
		}
		rel, err := fetchEntryName(hdr.Name)
		if err != nil {
			return err
		}
		if rel == "." {
			continue // the directory itself, which exists
		}
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo:
		default:
			continue // devices, global headers and the like
		}
		parent, err := securejoin.SecureJoin(dir, filepath.Dir(rel))
		if err != nil {
			return fmt.Errorf("resolve %s in %s: %w", rel, dir, err)
		}
		if err := fetchMkdirAll(dir, parent); err != nil {
			return err
		}
		target := filepath.Join(parent, filepath.Base(rel))
		isDir := hdr.Typeflag == tar.TypeDir
		if fi, err := os.Lstat(target); err == nil && !(fi.IsDir() && isDir) {
			if err := os.RemoveAll(target); err != nil {
				return fmt.Errorf("replace %s: %w", target, err)
			}
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("create directory %s: %w", target, err)
			}
		case tar.TypeReg, tar.TypeRegA:
			if err := fetchWriteFile(target, tr); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return fmt.Errorf("create symlink %s: %w", target, err)
			}
		case tar.TypeFifo:
			if err := unix.Mkfifo(target, 0o600); err != nil {
				return fmt.Errorf("create fifo %s: %w", target, err)
			}
		case tar.TypeLink:
			linkRel, err := fetchEntryName(hdr.Linkname)
			if err != nil {
				return err
			}
			old, err := securejoin.SecureJoin(dir, linkRel)
			if err != nil {
				return fmt.Errorf("resolve %s in %s: %w", linkRel, dir, err)
			}
			if err := os.Link(old, target); err != nil {
				return fmt.Errorf("create hard link %s: %w", target, err)
			}
			continue // shares its target's metadata
		}
		uid, gid := 0, 0
		switch {
		case o.Chown != nil:
			uid, gid = o.Chown.UID, o.Chown.GID
		case o.KeepOwners:
			uid, gid = hdr.Uid, hdr.Gid
		}
		if err := os.Lchown(target, uid, gid); err != nil {
			return fmt.Errorf("chown %s to %d:%d: %w", target, uid, gid, err)
		}
		if hdr.Typeflag == tar.TypeDir {
			// Its mode now (so entries can go in), its times once they are in.
			if err := os.Chmod(target, fetchTarMode(hdr.Mode)); err != nil {
				return fmt.Errorf("set the mode of %s: %w", target, err)
			}
			dirs = append(dirs, dirTimes{target, hdr.ModTime})
			continue
		}
		if hdr.Typeflag != tar.TypeSymlink {
			// After chown, which clears setuid and setgid.
			if err := os.Chmod(target, fetchTarMode(hdr.Mode)); err != nil {
				return fmt.Errorf("set the mode of %s: %w", target, err)
			}
		}
		if err := copySetTimes(target, hdr.ModTime); err != nil {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := copySetTimes(dirs[i].path, dirs[i].mtime); err != nil {
			return err
		}
	}
	return nil
}

// fetchEntryName cleans an archive entry's name into a path relative to
// the destination, refusing one that leads out of it.
func fetchEntryName(name string) (string, error) {
	// Cleaning "/"+name would clamp a ".." silently; an archive that
	// climbs out is refused instead (an absolute name is under dir).
	if c := path.Clean(strings.TrimLeft(name, "/")); c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("archive entry %q leads out of the destination", name)
	}
	c := strings.TrimPrefix(path.Clean("/"+name), "/")
	if c == "" {
		return ".", nil
	}
	return c, nil
}

// fetchMkdirAll makes dir (inside root, already resolved) and its missing
// parents 0755.
func fetchMkdirAll(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("%s is outside %s", dir, root)
	}
	if rel == "." {
		return nil
	}
	cur := root
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return fmt.Errorf("create directory %s: a non-directory is in the way", cur)
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("create directory %s: %w", cur, err)
		}
		if err := os.Mkdir(cur, 0o755); err != nil {
			return fmt.Errorf("create directory %s: %w", cur, err)
		}
		if err := os.Chmod(cur, 0o755); err != nil { // past the umask
			return fmt.Errorf("set the mode of %s: %w", cur, err)
		}
	}
	return nil
}

// fetchTarMode turns a tar header's mode into Go's, with setuid, setgid
// and sticky.
func fetchTarMode(mode int64) os.FileMode {
	m := os.FileMode(mode & 0o777)
	if mode&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// fetchWriteFile creates the new file target (never following a symlink)
// with r's content.
func fetchWriteFile(target string, r io.Reader) error {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", target, err)
	}
	buf := make([]byte, fetchBufferSize)
	_, err = io.CopyBuffer(f, r, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	return nil
}

// fetchIsURL says whether an ADD source or a build context is an http(s)
// URL.
func fetchIsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// fetchFileName is the name ADD gives a download: the URL path's last
// element, as Docker names it.
func fetchFileName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "__unnamed__"
	}
	if base := path.Base(u.Path); base != "." && base != "/" && base != "" {
		return base
	}
	return "__unnamed__"
}

// fetchedFile is one download.
type fetchedFile struct {
	Path  string    // where it was saved
	MTime time.Time // from Last-Modified, else the download's time
}

// fetchURL downloads rawURL into the new file target, checking the
// content against checksum ("sha256:<hex>", or "" for none).
func fetchURL(client *http.Client, rawURL, target, checksum string) (fetchedFile, error) {
	var verifier digest.Verifier
	var want digest.Digest
	if checksum != "" {
		d, err := digest.Parse(checksum)
		if err != nil {
			return fetchedFile{}, fmt.Errorf("invalid checksum %q: %w (want sha256:<hex>)", checksum, err)
		}
		want, verifier = d, d.Verifier()
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(rawURL)
	if err != nil {
		return fetchedFile{}, fmt.Errorf("download %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fetchedFile{}, fmt.Errorf("download %s: invalid response status %s", rawURL, resp.Status)
	}
	var body io.Reader = resp.Body
	if verifier != nil {
		body = io.TeeReader(resp.Body, verifier)
	}
	if err := fetchWriteFile(target, body); err != nil {
		return fetchedFile{}, fmt.Errorf("download %s: %w", rawURL, err)
	}
	if verifier != nil && !verifier.Verified() {
		got, _ := fetchFileDigest(target, want.Algorithm())
		return fetchedFile{}, fmt.Errorf("checksum mismatch for %s: expected %s, got %s", rawURL, want, got)
	}
	mtime := time.Now()
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			mtime = t
		}
	}
	return fetchedFile{Path: target, MTime: mtime}, nil
}

// fetchFileDigest is the digest of the file at p with algorithm a.
func fetchFileDigest(p string, a digest.Algorithm) (digest.Digest, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return a.FromReader(f)
}
