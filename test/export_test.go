package test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportWritesTheContainersFileSystemWithItsOwners(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "changed", busyboxRef, "sh", "-c",
		"rm /etc/passwd && echo made > /made && chown 1000:1001 /made && chmod 604 /made && mkdir /home/app/work && chown 1000 /home/app/work").ok(t)
	check := func(t *testing.T, got map[string]tarEntry) {
		t.Helper()
		assert.Equal(t, tarEntry{typ: tar.TypeReg, mode: 0o604, uid: 1000, gid: 1001, body: "made\n"}, got["made"], "the file the container made, with its uid and gid")
		assert.Equal(t, 1000, got["home/app/work/"].uid)
		assert.Equal(t, byte(tar.TypeReg), got["bin/busybox"].typ, "the image's files")
		assert.Equal(t, tarEntry{typ: tar.TypeSymlink, mode: 0o777, link: "busybox"}, got["bin/sh"])
		assert.Equal(t, layer2Body, got["etc/layer2"].body, "the upper image layer's file")
		assert.NotContains(t, got, "etc/passwd", "deleted in the container")
		assert.NotContains(t, got, "etc/deleteme", "deleted by an image layer")
		assert.Contains(t, got, "etc/group")
	}

	t.Run("to stdout", func(t *testing.T) {
		check(t, readTar(t, e.urun(t, "export", "changed").ok(t)))
	})
	t.Run("to a file with -o", func(t *testing.T) {
		out := filepath.Join(mkTemp(t), "rootfs.tar")
		assert.Empty(t, e.urun(t, "export", "-o", out, "changed").ok(t))
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		check(t, readTar(t, string(data)))
	})
	t.Run("of a running container", func(t *testing.T) {
		e.runInBackground(t, "live", uniqueSleep())
		got := readTar(t, e.urun(t, "export", "live").ok(t))
		assert.Contains(t, got, "bin/busybox")
		assert.Contains(t, got, "etc/passwd")
	})
}

func TestExportRefusesATerminalAndUnknownContainers(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "box", busyboxRef, "true").ok(t)

	master, slave, err := openPTY(24, 80)
	require.NoError(t, err)
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "export", "box")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = slave, &stderr
	require.NoError(t, cmd.Start())
	slave.Close()
	err = cmd.Wait()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Contains(t, stderr.String(), "Cowardly refusing to save to a terminal. Use the -o flag or redirect")

	res := e.urun(t, "export", "nosuch")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "No such container: nosuch")
	out := filepath.Join(mkTemp(t), "none.tar")
	e.urun(t, "export", "-o", out, "nosuch").exits(t, 1)
	assert.NoFileExists(t, out, "no file for a failed export")
}
