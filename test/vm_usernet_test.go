package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holderOf reads the pid of the env's network holder from its state.
func holderOf(t *testing.T, e *env) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.RunRoot(), "urun-networks", "state.json"))
	require.NoError(t, err, "the network holder's state")
	var st struct {
		HolderPID int `json:"holder_pid"`
	}
	require.NoError(t, json.Unmarshal(data, &st))
	return st.HolderPID
}

// A unit whose container was the first on a network started the network's
// holder; stopping the unit (systemd kills everything in its cgroup) must
// not take the holder, and so the names, from the network's other
// containers.
func TestVMNetworkHolderOutlivesTheUnitThatStartedIt(t *testing.T) {
	inVM(t)
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "network", "create", "unitnet").ok(t)
	e.urun(t, "create", "--name", "inunit", "--network", "unitnet", busyboxRef, "sleep", "100000").ok(t)
	t.Cleanup(func() {
		e.urun(t, "rm", "-f", "inunit", "outside")
		e.urun(t, "network", "rm", "unitnet")
	})
	installUserUnit(t, "container-inunit.service", e.urun(t, "generate", "systemd", "inunit").ok(t))
	out, err := systemctl(t, "start", "container-inunit.service")
	require.NoError(t, err, out)

	holder := holderOf(t, e)
	cgroup, err := os.ReadFile("/proc/" + strconv.Itoa(holder) + "/cgroup")
	require.NoError(t, err)
	assert.NotContains(t, string(cgroup), "container-inunit.service", "the holder left the unit's cgroup")
	assert.Contains(t, string(cgroup), "urun-network-holder-", "the holder is in a scope of its own")

	e.urun(t, "run", "-d", "--name", "outside", "--network", "unitnet", busyboxRef, "sleep", "100000").ok(t)
	out, err = systemctl(t, "stop", "container-inunit.service")
	require.NoError(t, err, out)
	assert.Eventually(t, func() bool {
		for _, c := range e.ps(t, "-a") {
			if c.Names[0] == "inunit" {
				return c.State != "running"
			}
		}
		return true
	}, 30*time.Second, 250*time.Millisecond, "the unit's container stopped with the unit")
	_, err = os.Stat("/proc/" + strconv.Itoa(holder))
	assert.NoError(t, err, "the holder outlived the unit that started it")
	res := e.urun(t, "exec", "outside", "nslookup", "outside")
	assert.Equal(t, 0, res.code, "names still resolve: %s", res.describe())
	assert.True(t, strings.Contains(res.stdout, "Address"), res.describe())
}
