package launch

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// State is a container's record in its run state directory.
type State struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	Image      string    `json:"image"`
	ImageID    string    `json:"image_id"`
	Created    time.Time `json:"created"`
	Status     string    `json:"status"`
	ExitCode   int       `json:"exit_code"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Remove marks a --rm container, whose leftovers may be deleted by any
	// later urun once its monitor is gone.
	Remove bool `json:"remove"`
}

func newID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make container id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// nameInUse reports whether a container in stateRoot already has name.
func nameInUse(stateRoot, name string) (bool, error) {
	entries, err := os.ReadDir(stateRoot)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list containers: %w", err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(stateRoot, e.Name(), "state.json"))
		if err != nil {
			continue
		}
		var st State
		if json.Unmarshal(data, &st) == nil && st.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// validName follows Docker's rule for container names.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i > 0 {
			ok = ok || strings.ContainsRune("_.-", r)
		}
		if !ok {
			return false
		}
	}
	return true
}

// hostsFile is the container's /etc/hosts.
func hostsFile(hostname string, hostNetwork bool) []byte {
	if hostNetwork {
		if data, err := os.ReadFile("/etc/hosts"); err == nil {
			return data
		}
	}
	return []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n")
}

// resolvConf is the container's /etc/resolv.conf: the host's, without
// loopback name servers when the container has its own network namespace
// (the host's 127.0.0.53 is not reachable from there).
func resolvConf(hostNetwork bool) []byte {
	data, _ := os.ReadFile("/etc/resolv.conf")
	if hostNetwork {
		return data
	}
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		kept = append(kept, line)
	}
	return []byte(strings.Join(kept, "\n"))
}
