package launch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image/local"
)

// syncPair returns the host's end of a sync socket and init's end.
func syncPair(t *testing.T) (host *os.File, init int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	host = os.NewFile(uintptr(fds[0]), "sync-host")
	t.Cleanup(func() { host.Close() })
	return host, fds[1]
}

func TestCommandThatFailedToStartReportsItsExitCodeAndMessage(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		wantCode int
		wantErr  string
	}{
		{"command not found", `X127 exec: "nope": executable file not found in $PATH`, 127, `exec: "nope": executable file not found in $PATH`},
		{"command not runnable", `X126 exec: "/etc": is a directory`, 126, `exec: "/etc": is a directory`},
		{"urun's own failure", "X125 set hostname: operation not permitted", 125, "set hostname: operation not permitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, init := syncPair(t)
			_, err := unix.Write(init, []byte(tt.msg))
			require.NoError(t, err)
			unix.Close(init)

			r := readStart(host)
			assert.Nil(t, r.master)
			assert.Equal(t, tt.wantCode, exitcode.Of(r.err))
			assert.Equal(t, tt.wantErr, r.err.Error())
		})
	}
}

func TestCommandThatStartedReportsNothing(t *testing.T) {
	host, init := syncPair(t)
	unix.Close(init) // init exec'd: the socket closed on exec

	assert.Equal(t, startReport{}, readStart(host))
}

func TestTerminalIsPassedFromInit(t *testing.T) {
	host, init := syncPair(t)
	defer unix.Close(init)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()

	require.NoError(t, unix.Sendmsg(init, []byte("T"), unix.UnixRights(int(r.Fd())), nil, 0))
	got := readStart(host)
	require.NoError(t, got.err)
	require.NotNil(t, got.master)
	defer got.master.Close()

	_, err = w.Write([]byte("hi"))
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = got.master.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(buf), "the received descriptor is the one init sent")
}

func TestTerminalMessageWithoutDescriptorIsAnError(t *testing.T) {
	host, init := syncPair(t)
	defer unix.Close(init)
	_, err := unix.Write(init, []byte("T"))
	require.NoError(t, err)

	got := readStart(host)
	assert.Nil(t, got.master)
	assert.Equal(t, 125, exitcode.Of(got.err))
	require.Error(t, got.err)
	assert.Contains(t, got.err.Error(), "bad terminal")
}

func TestStoreFilledByFuseOverlayfsForcesItsDriver(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		fuseStore  bool
		want       string
		wantErr    string
	}{
		{name: "kernel overlay store keeps auto", configured: "auto", want: "auto"},
		{name: "kernel overlay store keeps native", configured: "native", want: "native"},
		{name: "kernel overlay store keeps fuse-overlayfs", configured: "fuse-overlayfs", want: "fuse-overlayfs"},
		{name: "fuse store turns auto into fuse-overlayfs", configured: "auto", fuseStore: true, want: "fuse-overlayfs"},
		{name: "fuse store keeps fuse-overlayfs", configured: "fuse-overlayfs", fuseStore: true, want: "fuse-overlayfs"},
		{name: "fuse store refuses native", configured: "native", fuseStore: true, wantErr: "was filled for fuse-overlayfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.fuseStore {
				require.NoError(t, os.MkdirAll(filepath.Join(root, "overlay"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(root, "overlay", ".has-mount-program"), []byte("true"), 0o600))
			}
			choice, err := local.RootfsFor(&local.Image{}, root, tt.configured)
			got := choice.Driver
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), root)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
