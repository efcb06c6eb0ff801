//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"
	"go.podman.io/storage"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
)

// Temporary files of image commands (an archive being spooled, a blob
// being downloaded, a save being written) live in one directory per
// command under the temporary root (urun.conf's tmp_dir, else
// GRAPHROOT/urun-tmp), named urun-KIND-PID-RANDOM and flock(2)ed by the
// command for as long as it runs. The lock goes with the process however
// it ends, kill -9 included, so any later image command can tell a dead
// command's directory (its lock is free) from a live one's and remove it
// (SweepTemp). A save writes beside its output file, on the output's file
// system; its directory in the temporary root then names that place in
// a file "outside", so that the sweep removes it too.

// tempRoot is the temporary root Open configured; "" until then (unit
// tests), when each command falls back to GRAPHROOT/urun-tmp.
var tempRoot string

// tempPrefix starts the name of every command's temporary directory.
const tempPrefix = "urun-"

// outsideFile, in a command's temporary directory, names the one
// directory it keeps elsewhere (a save's, beside its output).
const outsideFile = "outside"

// outsidePrefix starts the name of a save's directory beside its output:
// the sweep removes only directories so named.
const outsidePrefix = ".urun-save-"

// TempDir is one command's temporary directory, locked while it lives.
type TempDir struct {
	Path string
	lock *os.File
}

// newTempDir creates and locks a temporary directory of kind ("load",
// "pull"...) under root.
func newTempDir(root, kind string) (*TempDir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, explainNoSpace(fmt.Errorf("create the temporary directory %s: %w", root, err), root)
	}
	for {
		p, err := os.MkdirTemp(root, tempPrefix+kind+"-"+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			return nil, explainNoSpace(fmt.Errorf("create a temporary directory in %s: %w", root, err), root)
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open the temporary directory %s: %w", p, err)
		}
		// Blocks only while a sweep that found it unlocked removes it.
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock the temporary directory %s: %w", p, err)
		}
		if sameFile(f, p) {
			return &TempDir{Path: p, lock: f}, nil
		}
		f.Close() // swept before we locked it: try another name
	}
}

func sameFile(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(p)
	return err == nil && os.SameFile(a, b)
}

// commandTempDir is newTempDir in the temporary root for store root
// graphRoot.
func commandTempDir(graphRoot, kind string) (*TempDir, error) {
	root := tempRoot
	if root == "" {
		root = filepath.Join(graphRoot, "urun-tmp")
	}
	return newTempDir(root, kind)
}

// CommandTempDir is a temporary directory of this command in store's
// temporary root, which a later image command removes if this one is
// killed.
func CommandTempDir(store storage.Store, kind string) (*TempDir, error) {
	return commandTempDir(store.GraphRoot(), kind)
}

// Outside records dir, kept elsewhere, as this command's: a sweep after
// the command died removes it.
func (t *TempDir) Outside(dir string) error {
	return os.WriteFile(filepath.Join(t.Path, outsideFile), []byte(dir), 0o600)
}

// Remove deletes the directory (and the one recorded by Outside) and
// releases the lock.
func (t *TempDir) Remove() {
	if t == nil || t.lock == nil {
		return
	}
	removeOutside(t.Path)
	if err := os.RemoveAll(t.Path); err != nil {
		logrus.Warnf("remove the temporary directory: %v", err)
	}
	t.lock.Close()
	t.lock = nil
}

func removeOutside(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, outsideFile))
	if err != nil {
		return
	}
	out := string(b)
	if filepath.IsAbs(out) && strings.HasPrefix(filepath.Base(out), outsidePrefix) {
		if err := os.RemoveAll(out); err != nil {
			logrus.Warnf("remove the temporary directory %s: %v", out, err)
		}
	}
}

// SweepTemp removes from root what image commands that are no longer
// running left there: every entry whose lock it can take (with ours, only
// urun's directories, urun-KIND-...: root may be a directory others use
// too, such as /var/tmp). Entries of running commands are locked and stay.
func SweepTemp(root string, ours bool) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range ents {
		if ours && !(e.IsDir() && strings.HasPrefix(e.Name(), tempPrefix)) {
			continue
		}
		p := filepath.Join(root, e.Name())
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if e.IsDir() {
				removeOutside(p)
			}
			if err := os.RemoveAll(p); err != nil {
				logrus.Warnf("remove %s, left by an interrupted image command: %v", p, err)
			}
		}
		f.Close()
	}
}

// explainNoSpace turns a full file system (ENOSPC, EDQUOT) met while
// writing temporary files under dir into a message that names it and the
// way out.
func explainNoSpace(err error, dir string) error {
	return explainFull(err, dir, "set tmp_dir in "+config.Path()+" to a directory on a file system with room")
}

// explainFull is explainNoSpace with another way out than tmp_dir.
func explainFull(err error, dir, orElse string) error {
	if err == nil || !(errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)) {
		return err
	}
	if strings.HasPrefix(filepath.Base(dir), tempPrefix) {
		dir = filepath.Dir(dir) // a command's own directory, which goes
	}
	return fmt.Errorf("%w: the file system of %s is full: free space there, or %s", err, dir, orElse)
}
