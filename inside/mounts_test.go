package inside

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

func TestMountOptionsSplitIntoFlagsAndData(t *testing.T) {
	tests := []struct {
		name            string
		opts            []string
		wantFlags       uintptr
		wantPropagation uintptr
		wantData        string
	}{
		{"no options", nil, 0, 0, ""},
		{"read-only bind", []string{"rbind", "ro"}, unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, 0, ""},
		{"rw after ro clears read-only", []string{"ro", "rw"}, 0, 0, ""},
		{"default --tmpfs with size and mode", []string{"nosuid", "nodev", "noexec", "size=64m", "mode=1777"},
			unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, 0, "size=64m,mode=1777"},
		{"--tmpfs PATH:exec makes it executable", []string{"nosuid", "nodev", "noexec", "exec"},
			unix.MS_NOSUID | unix.MS_NODEV, 0, ""},
		{"suid and dev clear their flags", []string{"nosuid", "nodev", "suid", "dev"}, 0, 0, ""},
		{"propagation is kept apart", []string{"rbind", "rshared"}, unix.MS_BIND | unix.MS_REC, unix.MS_SHARED | unix.MS_REC, ""},
		{"last propagation wins", []string{"private", "slave"}, 0, unix.MS_SLAVE, ""},
		{"devpts data", []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			unix.MS_NOSUID | unix.MS_NOEXEC, 0, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"/dev tmpfs", []string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			unix.MS_NOSUID | unix.MS_STRICTATIME, 0, "mode=755,size=65536k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags, propagation, data := parseOptions(tt.opts)
			assert.Equal(t, tt.wantFlags, flags, "flags")
			assert.Equal(t, tt.wantPropagation, propagation, "propagation")
			assert.Equal(t, tt.wantData, data, "data")
		})
	}
}

func TestDevptsRetryDropsTheTTYGroup(t *testing.T) {
	tests := []struct {
		name, data, prefix, want string
	}{
		{"gid in the middle", "newinstance,gid=5,mode=0620", "gid=", "newinstance,mode=0620"},
		{"gid last", "newinstance,mode=0620,gid=5", "gid=", "newinstance,mode=0620"},
		{"no gid", "newinstance,mode=0620", "gid=", "newinstance,mode=0620"},
		{"only gid", "gid=5", "gid=", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, dropOption(tt.data, tt.prefix))
		})
	}
}
