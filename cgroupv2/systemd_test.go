package cgroupv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExecFindsTheUnitThatHoldsTheContainersCgroup(t *testing.T) {
	for _, tc := range []struct {
		path, unit, sub string
		ok              bool
	}{
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/urun-abc.scope/container", "urun-abc.scope", "/container", true},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/container-web.service/urun-abc/container", "container-web.service", "/urun-abc/container", true},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/urun-abc.scope", "urun-abc.scope", "", true},
		{"/slurm/uid_1000/job_7/step_0/urun-abc", "", "", false},
		{"/", "", "", false},
	} {
		unit, sub, ok := unitOf(tc.path)
		assert.Equal(t, tc.ok, ok, tc.path)
		assert.Equal(t, tc.unit, unit, tc.path)
		assert.Equal(t, tc.sub, sub, tc.path)
	}
}
