package spec

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bindMount(src, dst string, opts ...string) specs.Mount {
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: append([]string{"rbind"}, opts...)}
}

func volumeMount(name, dst string, opts ...string) specs.Mount {
	return specs.Mount{Destination: dst, Type: VolumeType, Source: name, Options: opts}
}

func TestVolumeOptions(t *testing.T) {
	tests := []struct {
		name, volume string
		want         specs.Mount
	}{
		{"plain bind is read-write", "/srv/data:/data", bindMount("/srv/data", "/data")},
		{"ro mounts read-only", "/srv/data:/data:ro", bindMount("/srv/data", "/data", "ro")},
		{"rw is passed on", "/srv/data:/data:rw", bindMount("/srv/data", "/data", "rw")},
		{"z is accepted and ignored", "/srv/data:/data:z", bindMount("/srv/data", "/data")},
		{"Z is accepted and ignored", "/srv/data:/data:Z", bindMount("/srv/data", "/data")},
		{"ro with Z", "/srv/data:/data:ro,Z", bindMount("/srv/data", "/data", "ro")},
		{"z with rw", "/srv/data:/data:z,rw", bindMount("/srv/data", "/data", "rw")},
		{"ro with a propagation mode", "/srv/data:/data:ro,rshared", bindMount("/srv/data", "/data", "ro", "rshared")},
		{"propagation private", "/a:/b:private", bindMount("/a", "/b", "private")},
		{"propagation rprivate", "/a:/b:rprivate", bindMount("/a", "/b", "rprivate")},
		{"propagation shared", "/a:/b:shared", bindMount("/a", "/b", "shared")},
		{"propagation rshared", "/a:/b:rshared", bindMount("/a", "/b", "rshared")},
		{"propagation slave", "/a:/b:slave", bindMount("/a", "/b", "slave")},
		{"propagation rslave", "/a:/b:rslave", bindMount("/a", "/b", "rslave")},
		{"empty option list", "/srv/data:/data:", bindMount("/srv/data", "/data")},
		{"paths are cleaned", "/srv/../srv/data/:/data/./x/", bindMount("/srv/data", "/data/x")},
		{"a file onto a file", "/etc/localtime:/etc/localtime:ro", bindMount("/etc/localtime", "/etc/localtime", "ro")},
		{"a bind given to the container's user", "/srv/data:/data:U", bindMount("/srv/data", "/data", "U")},
		{"named volume", "data:/data", volumeMount("data", "/data")},
		{"named volume read-only without copy-up", "my_vol-1.x:/data/:ro,nocopy", volumeMount("my_vol-1.x", "/data", "ro", "nocopy")},
		{"named volume with copy (the default)", "data:/data:copy", volumeMount("data", "/data")},
		{"anonymous volume", "/var/lib/db/", volumeMount("", "/var/lib/db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVolume(tt.volume)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestVolumeFromTheCurrentDirectory(t *testing.T) {
	cwd, err := os.Getwd()
	require.NoError(t, err)
	tests := []struct{ volume, want string }{
		{"./data:/data", filepath.Join(cwd, "data")},
		{".:/src:ro", cwd},
		{"../up:/up", filepath.Join(filepath.Dir(cwd), "up")},
	}
	for _, tt := range tests {
		t.Run(tt.volume, func(t *testing.T) {
			got, err := ParseVolume(tt.volume)
			require.NoError(t, err)
			assert.Equal(t, "bind", got.Type)
			assert.Equal(t, tt.want, got.Source)
		})
	}
}

func TestBadVolumeIsRefused(t *testing.T) {
	tests := []struct {
		name, volume, wantErr string
	}{
		{"relative host path without ./", "srv/data:/data", "a host directory must be given as an absolute path"},
		{"volume name with a slash", "my/vol:/data", `invalid volume name "my/vol"`},
		{"volume name of one character", "v:/data", `invalid volume name "v"`},
		{"nocopy on a host directory", "/srv/data:/data:nocopy", "nocopy applies to volumes"},
		{"anonymous volume at a relative path", "data", `container path "data" must be absolute`},
		{"anonymous volume at /", "/", "cannot mount over the container's /"},
		{"relative container path", "/srv/data:data", `container path "data" must be absolute`},
		{"container root", "/srv/data:/", "cannot mount over the container's /"},
		{"container root spelled oddly", "/srv/data:/tmp/..", "cannot mount over the container's /"},
		{"empty container path", "/srv/data:", "container path is empty"},
		{"onto /proc", "/srv/data:/proc", "cannot mount on /proc"},
		{"below /proc", "/srv/data:/proc/sys/kernel", "cannot mount on /proc/sys/kernel"},
		{"below /proc spelled oddly", "/srv/data:/tmp/../proc/self", "cannot mount on /proc/self"},
		{"onto /dev", "/srv/data:/dev/", "cannot mount on /dev"},
		{"unknown option", "/srv/data:/data:exec", `unknown option "exec"`},
		{"unknown option after a good one", "/srv/data:/data:ro,delegated", `unknown option "delegated"`},
		{"too many parts", "/srv/data:/data:ro:extra", "want HOST-DIR:CONTAINER-DIR"},
		{"ro and rw", "/tmp:/x:ro,rw", `invalid mode "ro,rw"`},
		{"two propagation modes", "/tmp:/x:rshared,private", `invalid mode "rshared,private"`},
		{"a tab", "/tmp:/x\ty", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVolume(tt.volume)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), strings.Trim(strconv.Quote(tt.volume), `"`), "the error names the volume")
		})
	}
}

func tmpfsMount(dst string, opts ...string) specs.Mount {
	return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: opts}
}

func TestMountOptions(t *testing.T) {
	tests := []struct {
		name, mount string
		want        specs.Mount
	}{
		{"bind with source and target", "type=bind,source=/srv/data,target=/data", bindMount("/srv/data", "/data")},
		{"src and dst aliases", "type=bind,src=/srv/data,dst=/data", bindMount("/srv/data", "/data")},
		{"destination alias", "type=bind,source=/srv/data,destination=/data", bindMount("/srv/data", "/data")},
		{"keys in any case and order", "Target=/data,Source=/srv/data,TYPE=bind", bindMount("/srv/data", "/data")},
		{"readonly", "type=bind,src=/a,dst=/b,readonly", bindMount("/a", "/b", "ro")},
		{"ro", "type=bind,src=/a,dst=/b,ro", bindMount("/a", "/b", "ro")},
		{"readonly=true", "type=bind,src=/a,dst=/b,readonly=true", bindMount("/a", "/b", "ro")},
		{"readonly=1", "type=bind,src=/a,dst=/b,readonly=1", bindMount("/a", "/b", "ro")},
		{"readonly=True", "type=bind,src=/a,dst=/b,readonly=True", bindMount("/a", "/b", "ro")},
		{"ro=TRUE", "type=bind,src=/a,dst=/b,ro=TRUE", bindMount("/a", "/b", "ro")},
		{"readonly=false", "type=bind,src=/a,dst=/b,readonly=false", bindMount("/a", "/b")},
		{"readonly=0", "type=bind,src=/a,dst=/b,readonly=0", bindMount("/a", "/b")},
		{"bind propagation", "type=bind,src=/a,dst=/b,bind-propagation=rslave", bindMount("/a", "/b", "rslave")},
		{"paths are cleaned", "type=bind,src=/a/b/..,dst=/c/", bindMount("/a", "/c")},
		{"tmpfs is noexec, nosuid, nodev and 1777 as Docker's", "type=tmpfs,target=/run", tmpfsMount("/run", "nosuid", "nodev", "noexec", "mode=1777")},
		{"tmpfs with size and mode", "type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1770", tmpfsMount("/run", "nosuid", "nodev", "noexec", "mode=1777", "size=64m", "mode=1770")},
		{"read-only tmpfs", "type=tmpfs,dst=/run,readonly", tmpfsMount("/run", "nosuid", "nodev", "noexec", "mode=1777", "ro")},
		{"image is read-only", "type=image,source=alpine,target=/img", specs.Mount{Destination: "/img", Type: ImageType, Source: "alpine", Options: []string{"ro"}}},
		{"image with rw=true", "type=image,src=alpine:3,dst=/img,rw=true", specs.Mount{Destination: "/img", Type: ImageType, Source: "alpine:3", Options: []string{"rw"}}},
		{"image with rw=false", "type=image,src=alpine,dst=/img,rw=false", specs.Mount{Destination: "/img", Type: ImageType, Source: "alpine", Options: []string{"ro"}}},
		{"named volume", "type=volume,src=data,dst=/data", volumeMount("data", "/data")},
		{"anonymous volume", "type=volume,dst=/data", volumeMount("", "/data")},
		{"volume read-only, no copy-up, with an option", "type=volume,src=data,dst=/data,readonly,volume-nocopy,volume-opt=type=tmpfs",
			volumeMount("data", "/data", "ro", "nocopy", "volume-opt=type=tmpfs")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMount(tt.mount)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBadMountIsRefused(t *testing.T) {
	tests := []struct {
		name, mount, wantErr string
	}{
		{"missing type", "source=/a,target=/b", "type= is required"},
		{"type without value", "type,source=/a,target=/b", "type= is required"},
		{"volume with a bad name", "type=volume,source=a/b,target=/b", `invalid volume name "a/b"`},
		{"volume of another driver", "type=volume,source=ab,target=/b,volume-driver=nfs", "only the local driver"},
		{"volume-nocopy on a bind", "type=bind,source=/a,target=/b,volume-nocopy", "apply to volumes"},
		{"npipe type", "type=npipe,source=/a,target=/b", `type "npipe" is not supported`},
		{"bind without source", "type=bind,target=/b", "needs an absolute source="},
		{"bind with relative source", "type=bind,source=data,target=/b", "needs an absolute source="},
		{"missing target", "type=bind,source=/a", "container path is empty"},
		{"relative target", "type=tmpfs,target=run", `container path "run" must be absolute`},
		{"image without source", "type=image,target=/img", "needs source=IMAGE"},
		{"image rw and readonly", "type=image,source=a,target=/img,rw,readonly", "conflict"},
		{"rw on a tmpfs", "type=tmpfs,target=/t,rw=true", "applies to type=image"},
		{"target /", "type=bind,source=/a,target=/", "cannot mount over the container's /"},
		{"unknown key", "type=bind,source=/a,target=/b,consistency=cached", `unknown key "consistency"`},
		{"trailing comma", "type=bind,source=/a,target=/b,", `unknown key ""`},
		{"readonly with a value that is no boolean", "type=bind,source=/a,target=/b,readonly=yes", "want true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMount(tt.mount)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), tt.mount, "the error names the mount")
		})
	}
}

func TestTmpfsOptions(t *testing.T) {
	tests := []struct {
		name, tmpfs string
		want        specs.Mount
	}{
		{"path only is noexec, nosuid, nodev", "/run", tmpfsMount("/run", "nosuid", "nodev", "noexec")},
		{"options are appended", "/run:rw,size=64m,mode=1777", tmpfsMount("/run", "nosuid", "nodev", "noexec", "rw", "size=64m", "mode=1777")},
		{"exec comes after noexec so it wins", "/tmp:exec", tmpfsMount("/tmp", "nosuid", "nodev", "noexec", "exec")},
		{"empty options", "/run:", tmpfsMount("/run", "nosuid", "nodev", "noexec")},
		{"path is cleaned", "/var//cache/", tmpfsMount("/var/cache", "nosuid", "nodev", "noexec")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTmpfs(tt.tmpfs)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBadTmpfsIsRefused(t *testing.T) {
	tests := []struct {
		name, tmpfs, wantErr string
	}{
		{"relative path", "run", "must be absolute"},
		{"root", "/", "cannot mount over the container's /"},
		{"empty", "", "container path is empty"},
		{"options only", ":size=1m", "container path is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTmpfs(tt.tmpfs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "--tmpfs")
		})
	}
}
