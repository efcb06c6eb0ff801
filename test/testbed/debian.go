package testbed

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// DebianBasePath is where `hack/setup-host.sh test` (run as root, as CI
// does) leaves a minimal Debian 12 root file system: debootstrap
// --variant=minbase from the host's Debian mirror, without apt's package
// lists, as a gzipped tar. The build tests make it an image with
// DebianBase.
const DebianBasePath = "/var/cache/urun-test/debian12-base.tar.gz"

// DebianPath is the PATH of Debian's official images.
const DebianPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DebianBase makes library/debian:12 from the gzipped tar at path: one
// layer, the file as it is, and a configuration like Debian's official
// image (PATH, Cmd bash).
func DebianBase(path string) (*Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the Debian base (as root, hack/setup-host.sh test makes it): %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, zr); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l := layer{blob: newBlob(MediaTypeLayer, data), diffID: "sha256:" + hex.EncodeToString(sum.Sum(nil))}
	return assemble("library/debian", "12", []layer{l}, runConfig{
		Env: []string{DebianPath},
		Cmd: []string{"bash"},
	})
}
