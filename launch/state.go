package launch

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urun/urun/config"
)

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

// maxSocketPath is the longest path a unix socket may have.
const maxSocketPath = 107

// socketDir is where the container whose run state is stateDir keeps unix
// sockets with names of up to longest bytes (slash included): stateDir,
// unless --runroot is so long that their paths would pass the kernel's
// limit; then RUNTIME/kind/SHORT-ID under the user's runtime directory.
func socketDir(stateDir, kind string, longest int) (string, error) {
	if len(stateDir)+longest <= maxSocketPath {
		return stateDir, nil
	}
	runtime, err := config.RuntimeDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(runtime, kind, filepath.Base(stateDir))
	if len(dir)+longest > maxSocketPath {
		return "", fmt.Errorf("the run root %s is too long for the container's unix sockets: use a shorter --runroot or XDG_RUNTIME_DIR", stateDir)
	}
	return dir, nil
}

// socketPath is where the container's unix socket name lives (see
// socketDir).
func socketPath(stateDir, name string) (string, error) {
	dir, err := socketDir(stateDir, "urun-sock", len("/"+name))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}
