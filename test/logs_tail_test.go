package test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillerLog writes size bytes of k8s-file entries, each its own full
// line, to path.
func fillerLog(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	line := "2026-12-02T09:00:00.000000000Z stdout F " + strings.Repeat("filler ", 10) + "\n"
	block := strings.Repeat(line, (1<<20)/len(line))
	for written := int64(0); written < size; written += int64(len(block)) {
		_, err := w.WriteString(block)
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
}

// TestLogsTailOfAHugeLogReadsOnlyItsEnd gives a stopped container a log of
// 256 MB, most of it in a rotated file, and checks that `logs --tail 3`
// (also with -t, --since and -f) shows the right lines, a line written in
// parts and split over the rotation joined, with memory far below the
// log's size: it reads from the end.
func TestLogsTailOfAHugeLogReadsOnlyItsEnd(t *testing.T) {
	e := containerEnv(t)
	id := e.runDetached(t, "--name", "chatty", busyboxRef, "true")
	e.urun(t, "wait", "chatty").ok(t)
	logPath := strings.TrimSpace(e.urun(t, "inspect", "-f", "{{.LogPath}}", "chatty").ok(t))
	require.Equal(t, filepath.Join(e.GraphRoot(), "urun-containers", id, "ctr.log"), logPath)

	const logSize = 256 << 20
	rotated := logPath + ".1"
	fillerLog(t, rotated, logSize)
	f, err := os.OpenFile(rotated, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("2026-12-02T10:00:00.000000000Z stdout F one\n" +
		"2026-12-02T10:00:01.000000000Z stdout P tw")
	require.NoError(t, err)
	_, err = f.WriteString("\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.WriteFile(logPath, []byte("2026-12-02T10:00:01.000000000Z stdout P o-\n"+
		"2026-12-02T10:00:01.000000000Z stdout F parts\n"+
		"2026-12-02T10:00:02.000000000Z stderr F three\n"), 0o600))

	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
	}{
		{"--tail 3", []string{"--tail", "3"}, "one\ntwo-parts\n", "three\n"},
		{"--tail 1 -t", []string{"--tail", "1", "-t"}, "", "2026-12-02T10:00:02.000000000Z three\n"},
		{"--tail 3 --since", []string{"--tail", "3", "--since", "2026-12-02T10:00:01Z"}, "two-parts\n", "three\n"},
		{"--tail 3 --until", []string{"--tail", "3", "--until", "2026-12-02T10:00:00.5Z"}, "one\n", ""},
		{"-f --tail 2 of a stopped container", []string{"-f", "--tail", "2"}, "two-parts\n", "three\n"},
	}
	// GNU time reports the max RSS of a child it forked itself: a child of
	// this test would inherit the test's own high-water mark at exec.
	const gnuTime = "/usr/bin/time"
	_, err = os.Stat(gnuTime)
	require.NoError(t, err, "the test measures urun's memory with GNU time (apt-get install time; hack/setup-host.sh does)")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rssFile := filepath.Join(t.TempDir(), "maxrss")
			cmd := e.command(ctx, append(append([]string{"logs"}, tt.args...), "chatty")...)
			cmd.Args = append([]string{gnuTime, "-f", "%M", "-o", rssFile}, append([]string{cmd.Path}, cmd.Args[1:]...)...)
			cmd.Path = gnuTime
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
			took := time.Since(start)
			data, err := os.ReadFile(rssFile)
			require.NoError(t, err)
			maxRSSKiB, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
			require.NoError(t, err, "GNU time's %%M: %q", data)
			t.Logf("urun logs %s: %v, max RSS %d KiB", strings.Join(tt.args, " "), took, maxRSSKiB)
			assert.Equal(t, tt.stdout, stdout.String())
			assert.Equal(t, tt.stderr, stderr.String())
			assert.Less(t, maxRSSKiB, int64(48<<10), "urun logs reads a %d MiB log from its end, in bounded memory", logSize>>20)
		})
	}
}
