package inside

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urun/urun/rootfs"
	"github.com/urun/urun/spec"
)

// keepIDUser is the caller as --userns keep-id shows them inside; nil
// without keep-id.
func keepIDUser(annotations map[string]string) (*spec.KeepIDUser, error) {
	value, ok := annotations[spec.KeepIDUserAnnotation]
	if !ok {
		return nil, nil
	}
	k, err := spec.ParseKeepIDUser(value)
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// keepIDRootfs shifts the owners the image's files show under keep-id:
// they are stored as the store's mappings give them (the image's root as
// the caller), which keep-id's namespace shows as the caller's id inside.
// fuse-overlayfs shows them as the image gives them again. A namespace of
// the caller's id alone (no subordinate ids) has no other owner to show:
// the image's files are the caller's there.
func keepIDRootfs(k *spec.KeepIDUser, driver rootfs.Driver, l rootfs.Layers) (rootfs.Driver, rootfs.Layers, error) {
	uids, err := mappedIDs("/proc/self/uid_map")
	if err != nil {
		return driver, l, err
	}
	gids, err := mappedIDs("/proc/self/gid_map")
	if err != nil {
		return driver, l, err
	}
	if uids <= 1 && gids <= 1 {
		return driver, l, nil
	}
	if driver.Name() == "native" {
		return driver, l, errors.New("--userns keep-id needs fuse-overlayfs, which shows the image's files with their owners inside: the kernel's overlay cannot (rootfs driver native)")
	}
	l.IDMapping = "uidmapping=" + spec.KeepIDShift(uids, k.UID) + ",gidmapping=" + spec.KeepIDShift(gids, k.GID)
	return rootfs.FuseOverlayfs{}, l, nil
}

// mappedIDs is how many ids a /proc/self/[ug]id_map maps.
func mappedIDs(path string) (uint32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	var n uint32
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		size, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%s: bad line %q", path, line)
		}
		n += uint32(size)
	}
	return n, nil
}

// addKeepIDUser puts the caller in the container's /etc/passwd and
// /etc/group (unless their uid, or gid, is there already) and makes their
// home directory, theirs, if the image has none.
func addKeepIDUser(root string, k *spec.KeepIDUser) error {
	etc := filepath.Join(root, "etc")
	passwdLine := fmt.Sprintf("%s:x:%d:%d:%s:%s:/bin/sh\n", k.Name, k.UID, k.GID, k.Name, k.Home)
	if err := appendUnlessListed(filepath.Join(etc, "passwd"), passwdLine, k.Name, k.UID); err != nil {
		return err
	}
	if err := appendUnlessListed(filepath.Join(etc, "group"), fmt.Sprintf("%s:x:%d:\n", k.Name, k.GID), k.Name, k.GID); err != nil {
		return err
	}
	home := filepath.Join(root, k.Home)
	if _, err := os.Lstat(home); errors.Is(err, os.ErrNotExist) && k.Home != "/" {
		if err := os.MkdirAll(home, 0o755); err != nil {
			return fmt.Errorf("create home directory %s: %w", k.Home, err)
		}
		if err := os.Lchown(home, int(k.UID), int(k.GID)); err != nil {
			return fmt.Errorf("give home directory %s to %d:%d: %w", k.Home, k.UID, k.GID, err)
		}
	}
	return nil
}

// appendUnlessListed appends line to a passwd or group file unless an
// entry there has the name or the id (third field) already. A missing
// file is made.
func appendUnlessListed(path, line, name string, id uint32) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	idText := strconv.FormatUint(uint64(id), 10)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= 3 && (f[0] == name || f[2] == idText) {
			return nil
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		line = "\n" + line
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("add the keep-id user to %s: %w", path, err)
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("add the keep-id user to %s: %w", path, err)
	}
	return nil
}
