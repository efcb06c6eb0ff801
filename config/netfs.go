package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// networkFileSystems names, by statfs magic, the file systems a store must
// not be on: overlay refuses them as the upper layer of a container, the
// server checks ownership and permissions against ids a user namespace
// maps (which it does not know), and extended attributes and locks are
// unreliable there.
var networkFileSystems = map[uint32]string{
	0x6969:     "NFS",
	0x0BD00BD0: "Lustre",
	0x47504653: "GPFS",
	0x19830326: "BeeGFS",
	0xFE534D42: "SMB2",
	0xFF534D42: "CIFS",
	0x00C36400: "CephFS",
	0x5346414F: "AFS",
}

// networkFSName names the network file system of a statfs magic, "" for
// any other.
func networkFSName(magic uint32) string { return networkFileSystems[magic] }

// noticeOut receives the notice that the store moved off a network file
// system.
var noticeOut io.Writer = os.Stderr

// TestNetworkFSEnv names directories (colon-separated) that urun takes to
// be on NFS, for tests on hosts that cannot mount one.
const TestNetworkFSEnv = "URUN_TEST_NETWORK_FS"

// NetworkFS names the network file system that holds path, or its nearest
// existing parent; "" for a local one, or one that cannot be examined.
func NetworkFS(path string) string {
	path = filepath.Clean(path)
	for _, dir := range filepath.SplitList(os.Getenv(TestNetworkFSEnv)) {
		if dir != "" && (path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")) {
			return "NFS"
		}
	}
	for p := path; ; p = filepath.Dir(p) {
		var st syscall.Statfs_t
		err := syscall.Statfs(p, &st)
		if err == nil {
			// Type's width differs between architectures; magics are 32 bits.
			return networkFSName(uint32(st.Type))
		}
		if (!errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR)) || p == "/" || p == "." {
			return ""
		}
	}
}

// NetworkRootError refuses a store or run directory, asked for with
// --root, --runroot or urun.conf, on a network file system.
type NetworkRootError struct {
	What, Dir, FS, Key, ConfigFile, Local string
}

func (e *NetworkRootError) Error() string {
	return fmt.Sprintf("%s %s is on %s, a network file system: overlay cannot keep containers' files there, and its server checks ownership and locks with ids it does not know; "+
		"use a directory on local disk (%s = %q in %s, or the flag), and share images with every node through additionalimagestores",
		e.What, e.Dir, e.FS, e.Key, e.Local, e.ConfigFile)
}

// checkNotNetworkFS refuses explicit directories on a network file system.
func (c *Config) checkNotNetworkFS(rootExplicit, runRootExplicit bool) error {
	local := localStoreBase()
	if rootExplicit {
		if fs := NetworkFS(c.GraphRoot); fs != "" {
			return &NetworkRootError{What: "image store", Dir: c.GraphRoot, FS: fs, Key: "root", ConfigFile: c.configFileName(), Local: filepath.Join(local, "storage")}
		}
	}
	if runRootExplicit {
		if fs := NetworkFS(c.RunRoot); fs != "" {
			return &NetworkRootError{What: "run directory", Dir: c.RunRoot, FS: fs, Key: "runroot", ConfigFile: c.configFileName(), Local: filepath.Join(local, "run")}
		}
	}
	return nil
}

func (c *Config) configFileName() string {
	if c.Source != "" {
		return c.Source
	}
	return Path()
}

// localStoreBase is the private directory of the caller's that holds a
// store kept off a network file system: /var/tmp/urun-UID, which survives
// reboots, unless /var/tmp is itself on the network.
// LocalStoreDir is where urun keeps the caller's default store when the
// usual one is on a network file system (and where `urun doctor` tells
// to put one).
func LocalStoreDir() string { return filepath.Join(localStoreBase(), "storage") }

func localStoreBase() string {
	name := "urun-" + strconv.Itoa(callerUID())
	for _, base := range []string{"/var/tmp", os.TempDir()} {
		if NetworkFS(base) == "" {
			return filepath.Join(base, name)
		}
	}
	return filepath.Join("/var/tmp", name)
}

// callerUID is the caller's uid, also in the image helper, which runs as
// root of urun's user namespace and is told the caller's uid as the
// storage library wants it.
func callerUID() int {
	uid := os.Getuid()
	if uid == 0 && os.Getenv("_CONTAINERS_USERNS_CONFIGURED") != "" {
		if n, err := strconv.Atoi(os.Getenv("_CONTAINERS_ROOTLESS_UID")); err == nil {
			return n
		}
	}
	return uid
}

// moveStoreOffNetworkFS puts the default store, whose place (under the
// home directory) is on a network file system, on local disk instead:
// LOCAL/storage, in a private directory of the caller's. The command that
// creates the store says so on stderr, once; nothing is written to
// the network file system.
func (c *Config) moveStoreOffNetworkFS(fs string) error {
	dir := localStoreBase()
	if NetworkFS(dir) != "" {
		return fmt.Errorf("the default image store %s is on %s, a network file system, and so are /var/tmp and %s: set root = \"/a/local/dir\" in %s", c.GraphRoot, fs, os.TempDir(), c.configFileName())
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create a local directory for the image store (the default %s is on %s): %w", c.GraphRoot, fs, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check the local store directory %s: %w", dir, err)
	}
	if !st.IsDir() || !ownedByCaller(st) || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the default image store %s is on %s, a network file system, and its local replacement %s is not a private directory of uid %d: remove it, or set root = \"/a/local/dir\" in %s",
			c.GraphRoot, fs, dir, callerUID(), c.configFileName())
	}
	storage := filepath.Join(dir, "storage")
	if err := os.Mkdir(storage, 0o700); err == nil {
		fmt.Fprintf(noticeOut, "urun: %s is on %s, a network file system, where overlay cannot keep containers' files: urun keeps its images and containers in %s on this machine's disk instead. To choose the place, set root = \"/a/local/dir\" in %s\n",
			c.GraphRoot, fs, storage, c.configFileName())
	} else if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create the local image store %s (the default %s is on %s): %w", storage, c.GraphRoot, fs, err)
	}
	c.GraphRoot = storage
	return nil
}
