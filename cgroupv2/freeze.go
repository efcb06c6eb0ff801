package cgroupv2

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// freezeWait bounds how long SetFrozen waits for the kernel to say the
// cgroup's processes are frozen (or thawed): a task in an uninterruptible
// sleep delays it.
const freezeWait = 10 * time.Second

// Dir is the directory of the cgroup at path ("/user.slice/...").
func Dir(path string) string {
	return filepath.Join(Root, path)
}

// SetFrozen freezes (or thaws) every process of the cgroup at dir through
// cgroup.freeze, and waits until cgroup.events says it is done, as the
// freezer is asynchronous. A v1 cgroup (root on a v1 host) is frozen
// through the freezer controller.
func SetFrozen(dir string, frozen bool) error {
	if mounts, rel, ok := v1Cgroup(dir); ok {
		return setFrozenV1(mounts, rel, frozen)
	}
	want := "0"
	if frozen {
		want = "1"
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte(want), 0); err != nil {
		return fmt.Errorf("write %s to %s: %w", want, filepath.Join(dir, "cgroup.freeze"), err)
	}
	deadline := time.Now().Add(freezeWait)
	for {
		got, err := Frozen(dir)
		if err != nil {
			return err
		}
		if got == frozen {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: cgroup.events still says frozen %s after %s", dir, map[bool]string{true: "0", false: "1"}[frozen], freezeWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Frozen reads the "frozen" key of dir's cgroup.events.
func Frozen(dir string) (bool, error) {
	if mounts, rel, ok := v1Cgroup(dir); ok {
		return frozenV1(mounts, rel)
	}
	v, err := readKey(filepath.Join(dir, "cgroup.events"), "frozen")
	if err != nil {
		return false, err
	}
	return v == "1", nil
}

// readKey reads the value of key in a flat keyed cgroup file ("key value"
// lines: cgroup.events, cpu.stat, memory.stat).
func readKey(path, key string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			return strings.TrimSpace(v), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "", fmt.Errorf("%s has no %q", path, key)
}
