package logs

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wholeLines splits a stream's output into lines, the last one possibly
// without its newline.
func wholeLines(out string) []string {
	return strings.SplitAfter(out, "\n")
}

// TestLogsTailIsTheEndOfTheWholeLog reads --tail N of a log spread over
// rotated files, with lines written in parts and lines longer than a
// backwards read, and checks it against the end of the whole log.
func TestLogsTailIsTheEndOfTheWholeLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, err := Create(path, Options{MaxSize: 400 << 10, MaxFiles: 4})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		size := rng.IntN(200)
		if i%500 == 7 {
			size = 3 * minChunk // a line longer than one backwards read
		}
		text := fmt.Sprintf("%d:%s", i, strings.Repeat("y", size))
		if rng.IntN(4) > 0 {
			text += "\n" // else the next write continues it: a P entry
		}
		_, err := w.Stream("stdout").Write([]byte(text))
		require.NoError(t, err)
	}
	_, err = w.Stream("stdout").Write([]byte("end\n"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.FileExists(t, path+".2", "the test needs rotated files")

	all, _ := read(t, path, ReadOptions{Tail: -1})
	lines := wholeLines(all)
	lines = lines[:len(lines)-1] // the "" after the last newline
	for _, n := range []int{0, 1, 3, 50, 700, len(lines), len(lines) + 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := strings.Join(lines[max(0, len(lines)-n):], "")
			got, _ := read(t, path, ReadOptions{Tail: n})
			assert.Equal(t, want, got)
		})
	}
}

func TestLogsTailOfAnIncompleteLastEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	log := "2026-12-02T10:00:00.000000000Z stdout F one\n" +
		"2026-12-02T10:00:01.000000000Z stderr F two\n" +
		"2026-12-02T10:00:02.000000000Z stdout P thr"
	require.NoError(t, os.WriteFile(path, []byte(log), 0o600))
	stdout, stderr := read(t, path, ReadOptions{Tail: 1})
	assert.Empty(t, stdout, "an entry still being written is not shown")
	assert.Equal(t, "two\n", stderr)
}

func TestLogsFollowWithTailGoesOnFromTheEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	write(t, path, Options{}, [2]string{"stdout", "1\n2\n3\n4\n5\n"})
	calls := 0
	running := func() bool {
		calls++
		if calls == 1 {
			// The container writes more while logs -f runs.
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString("2026-12-02T10:00:00.000000000Z stdout F 6\n")
			require.NoError(t, err)
			require.NoError(t, f.Close())
			return true
		}
		return false
	}
	stdout, _ := read(t, path, ReadOptions{Tail: 2, Follow: true, Running: running})
	assert.Equal(t, "4\n5\n6\n", stdout)
}

func TestTailTakesANumberElseAllAsDockerDoes(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"all", -1},
		{"-1", -1},
		{"0", 0},
		{"3", 3},
		{"three", -1},
		{"", -1},
		{"3x", -1},
	}
	for _, tt := range tests {
		if got := ParseTail(tt.in); got != tt.want {
			t.Errorf("ParseTail(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}
