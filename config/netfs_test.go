package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatfsMagicsNameTheNetworkFileSystems(t *testing.T) {
	tests := []struct {
		magic int64
		want  string
	}{
		{0x6969, "NFS"},
		{0x0BD00BD0, "Lustre"},
		{0x47504653, "GPFS (IBM Storage Scale)"},
		{0x19830326, "BeeGFS"},
		{0xFE534D42, "SMB2/3"},
		{-0x01ACB2BE, "SMB2/3"}, // 0xFE534D42 as a 32-bit signed Type
		{0xFF534D42, "CIFS/SMB"},
		{0x00C36400, "CephFS"},
		{0x5346414F, "AFS"},
		{0xEF53, ""},     // ext4
		{0x58465342, ""}, // xfs
		{0x01021994, ""}, // tmpfs
		{0x9123683E, ""}, // btrfs
		{0x794C7630, ""}, // overlay
		{0x65735546, ""}, // FUSE: no store on it, yet not on the network
		{0x12345678, ""}, // unknown
	}
	for _, tt := range tests {
		t.Run(strconv.FormatInt(tt.magic, 16), func(t *testing.T) {
			assert.Equal(t, tt.want, networkFSName(uint32(tt.magic)))
		})
	}
}

func TestNetworkFSLooksAtTheNearestExistingParent(t *testing.T) {
	dir := t.TempDir()
	require.Empty(t, NetworkFS(dir), "the test's temporary directory is on a network file system")
	assert.Empty(t, NetworkFS(filepath.Join(dir, "not", "yet", "there")))

	t.Setenv(TestNetworkFSEnv, "/elsewhere:"+dir)
	assert.Equal(t, "NFS", NetworkFS(filepath.Join(dir, "not", "yet", "there")))
	assert.Equal(t, "NFS", NetworkFS(dir))
	assert.Empty(t, NetworkFS(dir+"-sibling"))
}

// nfsHome puts the test's home on "NFS", and /var/tmp too, so that the
// local store goes to $TMPDIR, a directory of the test's.
func nfsHome(t *testing.T) (testHome, string) {
	t.Helper()
	h := setTestHome(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv(TestNetworkFSEnv, filepath.Dir(h.data)+":/var/tmp")
	return h, tmp
}

func captureNotice(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	noticeOut = &buf
	t.Cleanup(func() { noticeOut = os.Stderr })
	return &buf
}

func TestADefaultStoreOnNFSMovesToLocalDiskWithOneNotice(t *testing.T) {
	h, tmp := nfsHome(t)
	notice := captureNotice(t)
	local := filepath.Join(tmp, "urun-"+strconv.Itoa(os.Getuid()))

	c, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(local, "storage"), c.GraphRoot)
	assert.Contains(t, notice.String(), filepath.Join(h.data, "urun", "storage")+" is on NFS")
	assert.Contains(t, notice.String(), `set root = "/a/local/dir" in `+filepath.Join(h.config, "urun", "urun.conf"))
	st, err := os.Stat(local)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	entries, err := os.ReadDir(h.data)
	require.NoError(t, err)
	assert.Empty(t, entries, "urun wrote into the home on NFS")

	notice.Reset()
	c, err = LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(local, "storage"), c.GraphRoot)
	assert.Empty(t, notice.String(), "the notice is said once")
}

func TestALocalStoreDirectoryOfSomeoneElseIsRefused(t *testing.T) {
	_, tmp := nfsHome(t)
	captureNotice(t)
	local := filepath.Join(tmp, "urun-"+strconv.Itoa(os.Getuid()))
	require.NoError(t, os.Mkdir(local, 0o777))
	require.NoError(t, os.Chmod(local, 0o777))

	_, err := LoadWith("", Overrides{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), local+" is not a private directory")
}

func TestAStoreOnNFSAskedForIsRefusedWithTheFix(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		o       Overrides
		wantKey string
	}{
		{name: "--root", o: Overrides{GraphRoot: "/nfs/store"}, wantKey: "root"},
		{name: "root in urun.conf", conf: `root = "/nfs/store"`, wantKey: "root"},
		{name: "--runroot", o: Overrides{RunRoot: "/nfs/run"}, wantKey: "runroot"},
		{name: "runroot in urun.conf", conf: `runroot = "/nfs/run"`, wantKey: "runroot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setTestHome(t)
			t.Setenv(TestNetworkFSEnv, "/nfs")
			if tt.conf != "" {
				writeConf(t, filepath.Join(h.config, "urun", "urun.conf"), tt.conf)
			}
			_, err := LoadWith("", tt.o)
			var netErr *NetworkRootError
			require.ErrorAs(t, err, &netErr)
			assert.Equal(t, tt.wantKey, netErr.Key)
			assert.Contains(t, err.Error(), "is on NFS, a network file system")
			assert.Contains(t, err.Error(), tt.wantKey+` = "/var/tmp/urun-`)
			assert.Contains(t, err.Error(), filepath.Join(h.config, "urun", "urun.conf"))
		})
	}
}

func TestALocalStoreIsLeftWhereItIs(t *testing.T) {
	h := setTestHome(t)
	notice := captureNotice(t)
	t.Setenv(TestNetworkFSEnv, "/nfs")

	c, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.data, "urun", "storage"), c.GraphRoot)
	assert.Empty(t, notice.String())
}

func TestAdditionalImageStores(t *testing.T) {
	tests := []struct {
		name, conf, env string
		want            []string
		wantErr         string
	}{
		{name: "none", want: nil},
		{name: "urun.conf", conf: `additionalimagestores = ["/shared/urun", "/opt/images/"]`, want: []string{"/shared/urun", "/opt/images"}},
		{name: "the environment overrides urun.conf", conf: `additionalimagestores = ["/shared/urun"]`, env: "/a:/b", want: []string{"/a", "/b"}},
		{name: "a relative path", conf: `additionalimagestores = ["shared"]`, wantErr: `additionalimagestores: "shared" is not an absolute path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setTestHome(t)
			if tt.conf != "" {
				writeConf(t, filepath.Join(h.config, "urun", "urun.conf"), tt.conf)
			}
			t.Setenv(AdditionalImageStoresEnv, tt.env)
			c, err := Load("")
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.AdditionalImageStores)
		})
	}
}

func TestTheImageHelperInItsUserNamespaceFindsTheCallersLocalStore(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the image helper's view needs uid 0")
	}
	_, tmp := nfsHome(t)
	captureNotice(t)
	// As root of urun's user namespace, told the caller's uid.
	t.Setenv("_CONTAINERS_USERNS_CONFIGURED", "1")
	t.Setenv("_CONTAINERS_ROOTLESS_UID", "1234")
	helper, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(tmp, "urun-1234", "storage"), helper.GraphRoot)
}

func TestTheNoticeComesWithTheStoreNotWithItsDirectory(t *testing.T) {
	_, tmp := nfsHome(t)
	notice := captureNotice(t)
	// Without XDG_RUNTIME_DIR the run directory is TMPDIR/urun-UID too.
	t.Setenv("XDG_RUNTIME_DIR", "")
	require.NoError(t, os.Mkdir(filepath.Join(tmp, "urun-"+strconv.Itoa(os.Getuid())), 0o700))

	_, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Contains(t, notice.String(), "is on NFS")
}
