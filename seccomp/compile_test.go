package seccomp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/spec"
)

func TestDockersDefaultProfileCompiles(t *testing.T) {
	for _, c := range []struct {
		name string
		caps []string
	}{
		{"default capabilities", spec.DefaultCapabilities},
		{"every capability", spec.AllCapabilities()},
		{"none", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			p, err := Profile("", c.caps)
			require.NoError(t, err)
			prog, err := Compile(p)
			require.NoError(t, err)
			t.Logf("%d instructions in %v", len(prog)/8, time.Since(start))
			assert.Greater(t, len(prog)/8, 100)
		})
	}
}

func TestFilterIsCachedPerProfileAndCapabilities(t *testing.T) {
	dir := t.TempDir()
	a, err := Filter(dir, "", spec.DefaultCapabilities)
	require.NoError(t, err)
	again, err := Filter(dir, "", spec.DefaultCapabilities)
	require.NoError(t, err)
	assert.Equal(t, a, again)
	b, err := Filter(dir, "", spec.AllCapabilities())
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "the profile depends on the capabilities")
	custom, err := Filter(dir, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`, nil)
	require.NoError(t, err)
	assert.NotEqual(t, a, custom)
}

func TestBadProfilesAreRefusedWithTheReason(t *testing.T) {
	for _, c := range []struct{ name, profile, msg string }{
		{"not JSON", "{", "read the seccomp profile"},
		{"empty", "{}", "seccomp=unconfined"},
		{"unknown action", `{"defaultAction":"SCMP_ACT_FOO","syscalls":[]}`, `"SCMP_ACT_FOO" is not supported`},
		{"unknown comparison", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_FOO"}]}]}`, "unknown seccomp comparison"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Filter(t.TempDir(), c.profile, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestCheckFindsWhatCompileRefuses(t *testing.T) {
	for _, profile := range []string{
		`{"defaultAction":"SCMP_ACT_BOGUS"}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOPE"}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_BOGUS"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_NOPE"]}`,
	} {
		p, err := Profile(profile, nil)
		require.NoError(t, err, profile)
		_, compileErr := Compile(p)
		require.Error(t, compileErr, profile)
		assert.Error(t, Check(p), profile)
	}
	p, err := Profile("", nil)
	require.NoError(t, err)
	assert.NoError(t, Check(p), "Docker's default profile")
}
