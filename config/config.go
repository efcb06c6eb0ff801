// Package config finds urun's directories and reads its configuration file,
// $XDG_CONFIG_HOME/urun/urun.conf (TOML). Flags override the file; the file
// overrides the defaults.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is urun's effective configuration.
type Config struct {
	// GraphRoot is the storage library's root: image layers live here.
	GraphRoot string `toml:"root"`
	// RunRoot holds run state: per-container directories and storage locks.
	RunRoot string `toml:"runroot"`
	// RootfsDriver is "auto", "native" (the kernel's overlay in the user
	// namespace) or "fuse-overlayfs".
	RootfsDriver string `toml:"rootfs_driver"`
	// Network is the default --network mode.
	Network string `toml:"network"`
	// CgroupsWarning, when false, silences the warning that a container
	// gets no cgroup of its own (cgroup v1 or hybrid hosts, or no
	// delegation and no systemd user manager).
	CgroupsWarning *bool `toml:"cgroups_warning"`
	// LockTimeout bounds how long a urun command waits for a lock another
	// urun holds (a Go duration such as "30s"; default DefaultLockTimeout).
	LockTimeout string `toml:"lock_timeout"`
	// TmpDir holds the image commands' temporary files (archives being
	// spooled or decompressed, blobs being downloaded); "" is
	// GRAPHROOT/urun-tmp. Whatever a killed command left there is removed
	// by the next image command.
	TmpDir string `toml:"tmp_dir"`
	// PullStallTimeout is how long a pull waits for the next byte of a
	// blob before it gives up (a Go duration, "90s"); "" is
	// DefaultPullStallTimeout. $URUN_PULL_STALL_TIMEOUT overrides it.
	PullStallTimeout string `toml:"pull_stall_timeout"`
	// CDISpecDirs are where `urun run --device VENDOR/CLASS=NAME` and
	// --gpus look for CDI specs (podman's cdi_spec_dirs); none is
	// /etc/cdi and /var/run/cdi. $URUN_CDI_SPEC_DIRS overrides it.
	CDISpecDirs []string `toml:"cdi_spec_dirs"`
	// AdditionalImageStores are read-only image stores, filled by an
	// administrator (`urun --root DIR pull IMAGE`), whose images urun runs
	// in place when its own store has none of that name: nothing is pulled,
	// copied or written there. $URUN_ADDITIONAL_IMAGE_STORES
	// (colon-separated) overrides.
	AdditionalImageStores []string `toml:"additionalimagestores"`

	// Source is the configuration file that was read, if any.
	Source string `toml:"-"`
	// runRootSet, rootSet: the file set runroot, root.
	runRootSet, rootSet bool
}

// Overrides are settings given on the command line; empty ones keep the
// configuration's value.
type Overrides struct {
	GraphRoot, RunRoot, RootfsDriver string
	// RunningContainers lists the short ids of the store's containers
	// running in a run root: package containers, which owns their
	// records, knows (containers.RunningIn). An explicit run root other
	// than the store's is refused while there are any; nil takes none
	// for running.
	RunningContainers func(runRoot, graphRoot string) []string
}

// LoadWith loads the configuration file at path (see Load) and applies the
// command line's overrides.
func LoadWith(path string, o Overrides) (*Config, error) {
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	if o.GraphRoot != "" {
		c.GraphRoot = o.GraphRoot
	}
	if o.RunRoot != "" {
		c.RunRoot = o.RunRoot
	}
	if o.RootfsDriver != "" {
		c.RootfsDriver = o.RootfsDriver
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("--rootfs-driver: %w", err)
		}
	}
	if c.GraphRoot, err = filepath.Abs(c.GraphRoot); err != nil {
		return nil, fmt.Errorf("graph root: %w", err)
	}
	if c.RunRoot, err = filepath.Abs(c.RunRoot); err != nil {
		return nil, fmt.Errorf("run root: %w", err)
	}
	if err := c.checkNotNetworkFS(o.GraphRoot != "" || c.rootSet, o.RunRoot != "" || c.runRootSet); err != nil {
		return nil, err
	}
	if o.GraphRoot == "" && !c.rootSet {
		if fs := NetworkFS(c.GraphRoot); fs != "" {
			if err := c.moveStoreOffNetworkFS(fs); err != nil {
				return nil, err
			}
		}
	}
	if err := c.pairRunRoot(o.RunRoot != "" || c.runRootSet, o.RunningContainers); err != nil {
		return nil, err
	}
	return c, nil
}

// RootfsDrivers are the accepted values of RootfsDriver.
var RootfsDrivers = []string{"auto", "native", "fuse-overlayfs"}

// Path returns where the user's configuration file is looked for.
func Path() string {
	return filepath.Join(configHome(), "urun", "urun.conf")
}

// Load returns the defaults overlaid with the configuration file at path
// ("" for the default place; a missing default file is no error).
func Load(path string) (*Config, error) {
	runRoot, err := RuntimeDir()
	if err != nil {
		return nil, err
	}
	c := &Config{
		GraphRoot:    filepath.Join(dataHome(), "urun", "storage"),
		RunRoot:      filepath.Join(runRoot, "urun"),
		RootfsDriver: "auto",
		Network:      "slirp4netns",
	}
	applyRootDefaults(c)
	explicit := path != ""
	if !explicit {
		path = Path()
	}
	md, err := toml.DecodeFile(path, c)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			c.additionalStoresFromEnv()
			return c, c.Validate()
		}
		return nil, fmt.Errorf("read configuration %s: %w", path, err)
	}
	c.Source = path
	c.runRootSet = md.IsDefined("runroot")
	c.rootSet = md.IsDefined("root")
	c.additionalStoresFromEnv()
	return c, c.Validate()
}

// AdditionalImageStoresEnv overrides additionalimagestores: directories
// separated by colons ("" leaves the file's setting).
const AdditionalImageStoresEnv = "URUN_ADDITIONAL_IMAGE_STORES"

func (c *Config) additionalStoresFromEnv() {
	if v, ok := os.LookupEnv(AdditionalImageStoresEnv); ok && v != "" {
		c.AdditionalImageStores = nil
		for _, dir := range filepath.SplitList(v) {
			if dir != "" {
				c.AdditionalImageStores = append(c.AdditionalImageStores, dir)
			}
		}
	}
}

// Validate checks the settings that have a fixed set of values.
func (c *Config) Validate() error {
	if c.LockTimeout != "" {
		if d, err := time.ParseDuration(c.LockTimeout); err != nil || d <= 0 {
			return fmt.Errorf("lock_timeout %q: want a duration above zero such as \"30s\" or \"2m\"", c.LockTimeout)
		}
	}
	if c.TmpDir != "" && !filepath.IsAbs(c.TmpDir) {
		return fmt.Errorf("tmp_dir %q: give an absolute path", c.TmpDir)
	}
	if _, err := c.StallTimeout(); err != nil {
		return err
	}
	for i, dir := range c.AdditionalImageStores {
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("additionalimagestores: %q is not an absolute path", dir)
		}
		c.AdditionalImageStores[i] = filepath.Clean(dir)
	}
	for _, d := range RootfsDrivers {
		if c.RootfsDriver == d {
			return nil
		}
	}
	return fmt.Errorf("rootfs driver %q: want one of auto, native, fuse-overlayfs", c.RootfsDriver)
}

// DefaultPullStallTimeout is how long a pull waits, by default, for a
// registry that stopped sending a blob.
const DefaultPullStallTimeout = 60 * time.Second

// StallTimeout is how long a pull waits for the next byte of a blob:
// $URUN_PULL_STALL_TIMEOUT, else pull_stall_timeout, else the default.
func (c *Config) StallTimeout() (time.Duration, error) {
	s, what := os.Getenv("URUN_PULL_STALL_TIMEOUT"), "$URUN_PULL_STALL_TIMEOUT"
	if s == "" {
		s, what = c.PullStallTimeout, "pull_stall_timeout"
	}
	if s == "" {
		return DefaultPullStallTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive duration such as 45s or 2m", what, s)
	}
	return d, nil
}

// ImageTempDir is where image commands keep their temporary files.
func (c *Config) ImageTempDir() string {
	if c.TmpDir != "" {
		return c.TmpDir
	}
	return filepath.Join(c.GraphRoot, "urun-tmp")
}

// StorageRunRoot is the storage library's run root.
func (c *Config) StorageRunRoot() string {
	return filepath.Join(c.RunRoot, "storage")
}

func dataHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home(), ".local", "share")
}

func configHome() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(home(), ".config")
}

func home() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "/"
}

// RuntimeDir returns the login session's runtime directory (see
// sessionRuntimeDir), or where there is none (su, sudo, batch jobs on a
// host without logind) a private directory /tmp/urun-UID, created 0700 and
// refused unless the caller owns it and nobody else can write to it.
func RuntimeDir() (string, error) {
	if d, ok := sessionRuntimeDir(); ok {
		return d, nil
	}
	dir := filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create run directory %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("check run directory %s: %w", dir, err)
	}
	if !st.IsDir() || !ownedByCaller(st) || st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("run directory %s is not a private directory of uid %d: remove it, or set XDG_RUNTIME_DIR to a directory of your own", dir, os.Getuid())
	}
	return dir, nil
}

func ownedByCaller(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Getuid()
}

// DefaultLockTimeout is how long a urun command waits for a lock by
// default: longer than deleting a large image or starting a container.
const DefaultLockTimeout = time.Minute

// LockWait is how long a urun command waits for a lock another urun
// holds (lock_timeout) before it gives up naming the holder.
func (c *Config) LockWait() time.Duration {
	if d, err := time.ParseDuration(c.LockTimeout); err == nil && d > 0 {
		return d
	}
	return DefaultLockTimeout
}

// WarnWithoutCgroups says whether urun run and create warn that a
// container gets no cgroup of its own (cgroups_warning, default true).
func (c *Config) WarnWithoutCgroups() bool {
	return c.CgroupsWarning == nil || *c.CgroupsWarning
}
