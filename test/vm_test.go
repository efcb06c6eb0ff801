package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The TestVM* tests need what only the VM test bed has (hack/vm/test.sh,
// run by `make test` as root): systemd as PID 1, cgroup v2 alone, and a
// user manager with delegated controllers. hack/test.sh runs the rest of
// the suite on the host without them, and them in the guest.

// inVM fails a TestVM* test started anywhere but in the test bed.
func inVM(t *testing.T) {
	t.Helper()
	if os.Getenv("URUN_VM") == "" {
		t.Fatal("this test runs in the VM test bed: `make vm` or `make test` as root runs it there (hack/vm/test.sh)")
	}
}

// userSliceCgroup is the directory of the test user's systemd manager.
func userManagerCgroup() string {
	uid := strconv.Itoa(os.Getuid())
	return filepath.Join("/sys/fs/cgroup/user.slice", "user-"+uid+".slice", "user@"+uid+".service")
}

func TestVMHasCgroupV2AndTheUsersDelegatedControllers(t *testing.T) {
	inVM(t)
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs("/sys/fs/cgroup", &st))
	assert.Equal(t, int64(unix.CGROUP2_SUPER_MAGIC), int64(st.Type), "/sys/fs/cgroup is cgroup v2 alone")
	data, err := os.ReadFile(filepath.Join(userManagerCgroup(), "cgroup.controllers"))
	require.NoError(t, err)
	have := strings.Fields(string(data))
	for _, c := range []string{"cpu", "cpuset", "io", "memory", "pids"} {
		assert.Contains(t, have, c, "the test user's manager is delegated %s (user@.service.d/delegate.conf)", c)
	}
	out, err := exec.Command("systemd-run", "--user", "--scope", "-p", "Delegate=yes", "cat", "/proc/self/cgroup").CombinedOutput()
	require.NoError(t, err, "systemd-run --user --scope: %s", out)
	assert.Regexp(t, `0::/user\.slice/.*\.scope`, string(out))
}

func TestVMRunsARootlessContainer(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", busyboxRef, "id", "-u").ok(t)
	assert.Equal(t, "0\n", out)
}

// rebootAndRunAgain is for a test that checks what survives a reboot. In
// the guest's first boot it asks the test bed to reboot and run the test
// once more (hack/vm/test.sh powers the guest off and boots it again from
// the same disk) and returns false: the test sets up, and ends. In the
// boot after, it returns true: the test checks what came back.
func rebootAndRunAgain(t *testing.T) bool {
	t.Helper()
	if os.Getenv("URUN_VM_BOOT") == "2" {
		t.Log("the guest rebooted since this test set up")
		return true
	}
	requests := os.Getenv("URUN_VM_REBOOT_REQUESTS")
	require.NotEmpty(t, requests, "URUN_VM_REBOOT_REQUESTS: hack/vm/test.sh sets it in the guest")
	f, err := os.OpenFile(requests, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	require.NoError(t, err)
	defer f.Close()
	_, err = fmt.Fprintln(f, t.Name())
	require.NoError(t, err)
	t.Log("asked the test bed to reboot the guest and run this test again")
	return false
}
