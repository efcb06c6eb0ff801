package nospace

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

func TestExplainNamesTheFileSystemOfTheFileThatDidNotFit(t *testing.T) {
	dir := t.TempDir()
	err := fmt.Errorf("pull x: %w", &os.PathError{Op: "write", Path: dir + "/blob", Err: unix.ENOSPC})
	got := Explain(err, "/elsewhere").Error()
	assert.Contains(t, got, "no space left on the file system of "+dir+" ("+MountPoint(dir)+")")
	assert.True(t, errors.Is(Explain(err, ""), unix.ENOSPC), "the cause stays reachable")
}

func TestExplainReadsAPathFromAnErrorThatLostItsType(t *testing.T) {
	err := errors.New("writing blob: write /var/tmp/x/1: no space left on device")
	assert.Contains(t, Explain(err, "").Error(), "of /var/tmp/x (")
}

func TestExplainLeavesOtherErrorsAlone(t *testing.T) {
	err := &os.PathError{Op: "open", Path: "/x", Err: unix.ENOENT}
	assert.Equal(t, error(err), Explain(err, "/y"))
}

func TestMountPointIsTheTopOfTheDevice(t *testing.T) {
	assert.Equal(t, "/proc", MountPoint("/proc/self/status"))
	assert.Equal(t, "/proc", MountPoint("/proc/no/such/file"))
}
