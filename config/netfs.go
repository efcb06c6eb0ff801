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

// FileSystem is a file system type urun knows by its statfs(2) magic
// (f_type).
type FileSystem struct {
	// Name is what urun's messages (and urun doctor) call it.
	Name string
	// Network: a network file system, which a store must not be on
	// (NetworkFS): overlay refuses it as the upper layer of a container,
	// the server checks ownership and permissions against ids a user
	// namespace maps (which it does not know), and extended attributes
	// and locks are unreliable there.
	Network bool
	// NoStore: overlay cannot keep a store's containers there: every
	// network file system, and FUSE's, which overlay takes no upper
	// layer on.
	NoStore bool
}

// fileSystems are the file systems urun knows, by magic: those a store
// cannot be on, and the usual local ones, for urun doctor to name.
var fileSystems = map[uint32]FileSystem{
	0x6969:     {Name: "NFS", Network: true, NoStore: true},
	0x0BD00BD0: {Name: "Lustre", Network: true, NoStore: true},
	0x47504653: {Name: "GPFS (IBM Storage Scale)", Network: true, NoStore: true},
	0x19830326: {Name: "BeeGFS", Network: true, NoStore: true},
	0xFF534D42: {Name: "CIFS/SMB", Network: true, NoStore: true},
	0xFE534D42: {Name: "SMB2/3", Network: true, NoStore: true},
	0x517B:     {Name: "SMB", Network: true, NoStore: true},
	0x00C36400: {Name: "CephFS", Network: true, NoStore: true},
	0x5346414F: {Name: "AFS", Network: true, NoStore: true},
	0x6B414653: {Name: "AFS (kAFS)", Network: true, NoStore: true},
	0x65735546: {Name: "a FUSE file system", NoStore: true},
	0xEF53:     {Name: "ext4"},
	0x58465342: {Name: "XFS"},
	0x9123683E: {Name: "Btrfs"},
	0x01021994: {Name: "tmpfs"},
	0x794C7630: {Name: "overlay"},
	0x2FC12FC1: {Name: "ZFS"},
	0xF2F52010: {Name: "F2FS"},
}

// FileSystemOf is the file system of a statfs magic; one urun does not
// know is named by its number, and taken to hold a store.
func FileSystemOf(magic uint32) FileSystem {
	if fs, ok := fileSystems[magic]; ok {
		return fs
	}
	return FileSystem{Name: fmt.Sprintf("file system type 0x%x", magic)}
}

// networkFSName names the network file system of a statfs magic, "" for
// any other.
func networkFSName(magic uint32) string {
	if fs := FileSystemOf(magic); fs.Network {
		return fs.Name
	}
	return ""
}

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
