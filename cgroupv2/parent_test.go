package cgroupv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCgroupParentIsASliceOrAPath(t *testing.T) {
	for _, tt := range []struct {
		value string
		ok    bool
	}{
		{"app.slice", true},
		{"app-web.slice", true},
		{"/user.slice/user-1001.slice/user@1001.service/app.slice/jobs", true},
		{"jobs/batch", true},
		{"-app.slice", false},
		{"app--web.slice", false},
		{"app web.slice", false},
		{"../escape", false},
		{"a/../../b", false},
		{"./x", false},
		{"/", false},
		{"x\ny", false},
	} {
		err := CheckParent(tt.value)
		if tt.ok {
			assert.NoError(t, err, tt.value)
		} else {
			assert.ErrorContains(t, err, "--cgroup-parent", "%q", tt.value)
		}
	}
}

func TestCgroupParentPicksTheManager(t *testing.T) {
	v2bus := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-1001.slice/session-1.scope", Bus: "unix:path=/run/user/1001/bus"}
	v2 := v2bus
	v2.Bus = ""
	for _, tt := range []struct {
		name    string
		req     Request
		host    Host
		want    string
		wantErr string
	}{
		{"a slice: a scope in it", Request{Parent: "app.slice"}, v2bus, ManagerSystemd, ""},
		{"a slice with systemd asked for", Request{Parent: "app.slice", Manager: ManagerSystemd}, v2bus, ManagerSystemd, ""},
		{"a slice without the user's systemd", Request{Parent: "app.slice"}, v2, "", "none is reachable over D-Bus"},
		{"a slice with cgroupfs asked for", Request{Parent: "app.slice", Manager: ManagerCgroupfs}, v2bus, "", "drop --cgroup-manager cgroupfs"},
		{"a path with systemd asked for", Request{Parent: "jobs", Manager: ManagerSystemd}, v2bus, "", "give a slice"},
		{"a path outside any delegated cgroup", Request{Parent: "/nonexistent-urun-test/x"}, v2bus, "", "not in a cgroup delegated to you"},
		{"with --cgroups=disabled", Request{Parent: "app.slice", Disabled: true}, v2bus, "", "drop one of them"},
		{"on a hybrid host", Request{Parent: "app.slice"}, Host{Mode: Hybrid}, "", "cgroup v2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.req, tt.host)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
