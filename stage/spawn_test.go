package stage

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStageFailureMessagesNameTheCauseAndTheFix(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		errno   syscall.Errno
		contain []string
	}{
		{"user namespaces limited to zero", "28 unshare user namespace", syscall.ENOSPC,
			[]string{"unshare user namespace", "user.max_user_namespaces"}},
		{"user namespaces refused", "1 unshare user namespace", syscall.EPERM,
			[]string{"unshare user namespace", "operation not permitted"}},
		{"another step fails plainly", "22 unshare namespaces", syscall.EINVAL,
			[]string{"unshare namespaces: invalid argument"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := nsenterError(tt.msg)
			assert.ErrorIs(t, err, tt.errno)
			for _, c := range tt.contain {
				assert.Contains(t, err.Error(), c)
			}
		})
	}
}
