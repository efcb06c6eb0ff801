package volumes

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/config"
	"github.com/urun/urun/spec"
)

func testConfig(t *testing.T) *config.Config {
	return &config.Config{GraphRoot: filepath.Join(t.TempDir(), "graph"), RunRoot: t.TempDir()}
}

func TestCreateOptionsAreTheLocalDriversOnly(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		opts    []string
		want    map[string]string
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"tmpfs with a size", []string{"type=tmpfs", "device=tmpfs", "o=size=10m,mode=1777"}, map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=10m,mode=1777"}, ""},
		{"bind of a host directory", []string{"type=none", "o=bind", "device=" + dir}, map[string]string{"type": "none", "o": "bind", "device": dir}, ""},
		{"unknown key", []string{"foo=bar"}, nil, `invalid option key "foo"`},
		{"no value", []string{"type"}, nil, "want KEY=VALUE"},
		{"a device type", []string{"type=ext4", "device=/dev/sda1"}, nil, "mounts no devices"},
		{"options without a type", []string{"o=size=1m"}, nil, "type= is needed"},
		{"an unknown tmpfs option", []string{"type=tmpfs", "o=exec"}, nil, `not "exec"`},
		{"a bind without o=bind", []string{"type=none", "device=" + dir}, nil, "needs o=bind"},
		{"a bind of a relative path", []string{"type=none", "o=bind", "device=data"}, nil, "absolute path"},
		{"a bind of a missing directory", []string{"type=none", "o=bind", "device=" + dir + "/missing"}, nil, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOptions(tt.opts)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCreateMakesAVolumeOnceAndNamesAnonymousOnes(t *testing.T) {
	cfg := testConfig(t)
	v, err := Create(cfg, CreateOptions{Name: "data", Labels: map[string]string{"a": "b"}})
	require.NoError(t, err)
	assert.DirExists(t, v.Mountpoint())
	again, err := Create(cfg, CreateOptions{Name: "data"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "b"}, again.Labels, "an existing volume is left as it is")

	anon, err := Create(cfg, CreateOptions{})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}$`, anon.Name)

	_, err = Create(cfg, CreateOptions{Name: "a/b"})
	assert.ErrorContains(t, err, "invalid volume name")
	_, err = Create(cfg, CreateOptions{Name: "x1", Opts: []string{"bad=1"}})
	assert.Error(t, err)
	list, err := List(cfg)
	require.NoError(t, err)
	var names []string
	for _, v := range list {
		names = append(names, v.Name)
	}
	assert.ElementsMatch(t, []string{"data", anon.Name}, names, "failed creates leave nothing")
	entries, _ := os.ReadDir(Root(cfg))
	assert.Len(t, entries, 2, "the two volumes, no temporary directory")
}

func TestListFilters(t *testing.T) {
	v := Volume{Name: "web-data", Driver: "local", Labels: map[string]string{"env": "prod", "tier": ""}}
	tests := []struct {
		filters []string
		used    bool
		want    bool
	}{
		{nil, false, true},
		{[]string{"name=web"}, false, true},
		{[]string{"name=^data"}, false, false},
		{[]string{"name=db", "name=web"}, false, true},
		{[]string{"label=env"}, false, true},
		{[]string{"label=env=prod"}, false, true},
		{[]string{"label=env=dev"}, false, false},
		{[]string{"label=env=prod", "label=tier"}, false, true},
		{[]string{"label=env=prod", "label=missing"}, false, false},
		{[]string{"driver=local"}, false, true},
		{[]string{"driver=nfs"}, false, false},
		{[]string{"dangling=true"}, false, true},
		{[]string{"dangling=true"}, true, false},
		{[]string{"dangling=false"}, true, true},
		{[]string{"dangling=0"}, true, true},
	}
	for _, tt := range tests {
		f, err := ParseFilters(tt.filters, false)
		require.NoError(t, err)
		assert.Equal(t, tt.want, f.Match(v, tt.used), "%v used=%v", tt.filters, tt.used)
	}
	for _, bad := range [][]string{{"dangling=maybe"}, {"size=1"}, {"name"}, {"name=("}} {
		_, err := ParseFilters(bad, false)
		assert.Error(t, err, "%v", bad)
	}
	_, err := ParseFilters([]string{"name=x"}, true)
	assert.ErrorContains(t, err, "prune takes label")
}

func TestResolveTurnsVolumesIntoBindsAndAddsTheImagesVOLUMEs(t *testing.T) {
	cfg := testConfig(t)
	host := t.TempDir()
	mounts := []specs.Mount{
		{Destination: "/named", Type: spec.VolumeType, Source: "named", Options: []string{"ro", spec.OptionNoCopy}},
		{Destination: "/anon", Type: spec.VolumeType},
		{Destination: "/host", Type: "bind", Source: host, Options: []string{"rbind", spec.OptionChown}},
		{Destination: "/scratch", Type: spec.VolumeType, Source: "scratch", Options: []string{spec.VolumeOptPrefix + "type=tmpfs", spec.VolumeOptPrefix + "o=size=1m"}},
	}
	image := map[string]struct{}{"/anon": {}, "/var/lib/db/": {}}
	r, err := Resolve(cfg, mounts, image, nil)
	require.NoError(t, err)
	r.Release()

	named, err := Get(cfg, "named")
	require.NoError(t, err, "a named volume is made at first use")
	byDest := map[string]specs.Mount{}
	for _, m := range r.Mounts {
		byDest[m.Destination] = m
	}
	assert.Equal(t, specs.Mount{Destination: "/named", Type: "bind", Source: named.Mountpoint(), Options: []string{"rbind", "ro"}}, byDest["/named"])
	assert.Equal(t, specs.Mount{Destination: "/host", Type: "bind", Source: host, Options: []string{"rbind"}}, byDest["/host"])
	assert.Equal(t, "tmpfs", byDest["/scratch"].Type)
	assert.Contains(t, byDest["/scratch"].Options, "size=1m")
	assert.Len(t, r.Mounts, 5, "the image's /anon is covered by -v, /var/lib/db is not")

	vols := map[string]spec.VolumeMount{}
	for _, v := range r.Volumes {
		vols[v.Destination] = v
	}
	assert.Equal(t, spec.VolumeMount{Name: "named", Destination: "/named", Source: named.Mountpoint(), Dir: named.Dir, NoCopy: true, ReadOnly: true}, vols["/named"])
	assert.True(t, vols["/anon"].Anonymous)
	assert.True(t, vols["/var/lib/db"].Anonymous)
	assert.Equal(t, spec.VolumeMount{Destination: "/host", Source: host, Chown: true}, vols["/host"])
	anon, err := Get(cfg, vols["/anon"].Name)
	require.NoError(t, err)
	assert.True(t, anon.Anonymous(), "anonymous volumes carry Docker's label")
}

func TestAbandonedResolveRemovesTheAnonymousVolumesItMade(t *testing.T) {
	cfg := testConfig(t)
	r, err := Resolve(cfg, []specs.Mount{{Destination: "/a", Type: spec.VolumeType}, {Destination: "/n", Type: spec.VolumeType, Source: "kept"}}, nil, nil)
	require.NoError(t, err)
	r.Abandon()
	list, err := List(cfg)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "kept", list[0].Name)
}
