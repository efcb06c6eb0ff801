package logs

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJournalGetsAnEntryPerLineWithTheContainersFields(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "socket")
	old := JournalSocket
	JournalSocket = sock
	defer func() { JournalSocket = old }()
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	defer ln.Close()

	j, err := OpenJournal(map[string]string{"CONTAINER_NAME": "web", "app.tier": "front"})
	require.NoError(t, err)
	defer j.Close()
	_, err = j.Stream("stdout").Write([]byte("one\ntwo"))
	require.NoError(t, err)
	_, err = j.Stream("stderr").Write([]byte("oops\n"))
	require.NoError(t, err)
	_, err = j.Stream("stdout").Write([]byte(strings.Repeat("x", maxJournalLine+1) + "\n"))
	require.NoError(t, err)

	buf := make([]byte, 64<<10)
	var got []string
	for range 5 {
		n, err := ln.Read(buf)
		require.NoError(t, err)
		got = append(got, string(buf[:n]))
	}
	for _, d := range got {
		assert.Contains(t, d, "CONTAINER_NAME=web\n")
		assert.Contains(t, d, "APP_TIER=front\n", "a journal field name of the attribute")
	}
	assert.True(t, strings.HasSuffix(got[0], "PRIORITY=6\nMESSAGE=one\n"), got[0])
	assert.True(t, strings.HasSuffix(got[1], "PRIORITY=6\nCONTAINER_PARTIAL_MESSAGE=true\nMESSAGE=two\n"), got[1])
	assert.True(t, strings.HasSuffix(got[2], "PRIORITY=3\nMESSAGE=oops\n"), got[2])
	assert.True(t, strings.HasSuffix(got[3], "CONTAINER_PARTIAL_MESSAGE=true\nMESSAGE="+strings.Repeat("x", maxJournalLine)+"\n"), "a long line goes in parts")
	assert.True(t, strings.HasSuffix(got[4], "PRIORITY=6\nMESSAGE=x\n"))
}

func TestJournalWithoutJournaldIsAClearError(t *testing.T) {
	old := JournalSocket
	JournalSocket = filepath.Join(t.TempDir(), "none")
	defer func() { JournalSocket = old }()
	_, err := OpenJournal(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is systemd-journald running?")
}
