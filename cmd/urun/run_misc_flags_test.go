package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExposeTakesAPortARangeAndAProtocol(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  []string
	}{
		{"80", []string{"80/tcp"}},
		{"53/udp", []string{"53/udp"}},
		{"9000/SCTP", []string{"9000/sctp"}},
		{"8000-8002", []string{"8000/tcp", "8001/tcp", "8002/tcp"}},
		{"7000-7001/udp", []string{"7000/udp", "7001/udp"}},
	} {
		got, err := parseExpose(tt.value)
		require.NoError(t, err, tt.value)
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, tt.want, keys, tt.value)
	}
}

func TestExposeRefusesWhatIsNoPort(t *testing.T) {
	for _, tt := range []struct{ value, wantErr string }{
		{"web", "want PORT"},
		{"", "want PORT"},
		{"0", "want 1 to 65535"},
		{"70000", "want 1 to 65535"},
		{"80/icmp", `unknown protocol "icmp"`},
		{"90-80", "ends before it starts"},
		{"80:80", "want PORT"},
	} {
		_, err := parseExpose(tt.value)
		if assert.Error(t, err, tt.value) {
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "--expose")
		}
	}
}

func TestLabelsComeFromFilesThenFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "labels")
	require.NoError(t, os.WriteFile(file, []byte("# team\nteam=web\n  tier=front\nempty\nshared=file\n"), 0o600))
	got, err := readLabels([]string{file}, []string{"shared=flag", "alone", "url=http://x/?a=b"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"team": "web", "tier": "front", "empty": "", "shared": "flag", "alone": "", "url": "http://x/?a=b",
	}, got)

	none, err := readLabels(nil, nil)
	require.NoError(t, err)
	assert.Nil(t, none)
}

func TestLabelWithoutANameIsRefused(t *testing.T) {
	for _, value := range []string{"=x", "", " =x"} {
		_, err := readLabels(nil, []string{value})
		assert.ErrorContains(t, err, "--label", "%q", value)
	}
	_, err := readLabels([]string{"/nonexistent/labels"}, nil)
	assert.ErrorContains(t, err, "--label-file")
}

func TestMiscFlagsCheckTheirValues(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "cid")
	require.NoError(t, os.WriteFile(existing, []byte("x"), 0o600))
	for _, tt := range []struct {
		name    string
		flags   miscRunFlags
		wantErr string
	}{
		{"a pull policy Docker lacks", miscRunFlags{pull: "sometimes", memorySwappiness: -1}, `--pull "sometimes"`},
		{"an id file that exists", miscRunFlags{pull: pullMissing, cidfile: existing, memorySwappiness: -1}, "Container ID file found"},
		{"swappiness over 100", miscRunFlags{pull: pullMissing, memorySwappiness: 101}, "--memory-swappiness 101: want 0 to 100"},
		{"swappiness under -1", miscRunFlags{pull: pullMissing, memorySwappiness: -2}, "--memory-swappiness -2"},
		{"a cgroup parent with ..", miscRunFlags{pull: pullMissing, memorySwappiness: -1, cgroupParent: "../x"}, "--cgroup-parent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.flags.check()
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
	o, err := (&miscRunFlags{pull: pullNever, memorySwappiness: 0, oomKillDisable: true}).check()
	require.NoError(t, err)
	assert.Len(t, o.warnings, 2, "both are accepted, and ignored with a warning, as Docker does on cgroup v2")
}

func TestTheCIDFileIsWrittenOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cid")
	require.NoError(t, checkCIDFile(path))
	require.NoError(t, writeCIDFile(path, "abc123"))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "abc123", string(data))
	assert.ErrorContains(t, writeCIDFile(path, "def"), "Container ID file found")
	assert.ErrorContains(t, checkCIDFile(path), "delete "+path)
}

func TestDNSOptAndDNSOptionFillOneList(t *testing.T) {
	cmd := newRunCommand(&globals{})
	require.NoError(t, cmd.Flags().Parse([]string{"--dns-option", "ndots:2", "--dns-opt", "timeout:1", "busybox"}))
	got, err := cmd.Flags().GetStringArray("dns-option")
	require.NoError(t, err)
	assert.Equal(t, []string{"ndots:2", "timeout:1"}, got)
}
