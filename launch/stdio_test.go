package launch

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pattern is n bytes that differ from one page to the next.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>12)
	}
	return b
}

// relayPipe returns a pipe as the relay reads it (non-blocking with
// drainable) and its write end.
func relayPipe(t *testing.T, drainable bool) (r int, w *os.File) {
	t.Helper()
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	if drainable {
		require.NoError(t, unix.SetNonblock(p[0], true))
	}
	t.Cleanup(func() { unix.Close(p[0]) })
	return p[0], os.NewFile(uintptr(p[1]), "w")
}

// Every destination gets the bytes whole: a file (spliced), a file opened
// to append (which splice refuses: copied), and a non-blocking pipe whose
// reader is slow (the relay waits for room).
func TestRelayOutputCopiesWholeToEveryKindOfDestination(t *testing.T) {
	data := pattern(3<<20 + 123)
	for _, c := range []struct {
		name      string
		drainable bool
		open      func(t *testing.T) (dst *os.File, read func() []byte)
	}{
		{"a file", false, func(t *testing.T) (*os.File, func() []byte) {
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			require.NoError(t, err)
			return f, func() []byte { b, _ := os.ReadFile(f.Name()); return b }
		}},
		{"a file opened to append", true, func(t *testing.T) (*os.File, func() []byte) {
			path := filepath.Join(t.TempDir(), "out")
			require.NoError(t, os.WriteFile(path, nil, 0o600))
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			return f, func() []byte { b, _ := os.ReadFile(path); return b }
		}},
		{"a non-blocking pipe read slowly", false, func(t *testing.T) (*os.File, func() []byte) {
			pr, pw, err := os.Pipe()
			require.NoError(t, err)
			require.NoError(t, unix.SetNonblock(int(pw.Fd()), true))
			var got bytes.Buffer
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, 4096)
				for {
					time.Sleep(100 * time.Microsecond)
					n, err := pr.Read(buf)
					got.Write(buf[:n])
					if err != nil {
						return
					}
				}
			}()
			return pw, func() []byte { <-done; return got.Bytes() }
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, w := relayPipe(t, c.drainable)
			dst, read := c.open(t)
			go func() {
				w.Write(data)
				w.Close()
			}()
			stop := -1
			if c.drainable {
				stopR, stopW, err := os.Pipe()
				require.NoError(t, err)
				defer stopR.Close()
				defer stopW.Close()
				stop = int(stopR.Fd())
			}
			// The raw descriptor: (*os.File).Fd would make it blocking.
			dstFD, err := unix.Dup(int(dst.Fd()))
			require.NoError(t, err)
			if c.name == "a non-blocking pipe read slowly" {
				require.NoError(t, unix.SetNonblock(dstFD, true))
			}
			require.NoError(t, relayOutput(src, dstFD, stop, 32<<10))
			unix.Close(dstFD)
			dst.Close()
			assert.True(t, bytes.Equal(data, read()), "the destination holds the %d bytes written", len(data))
		})
	}
}

// drain copies what is in the pipe and returns, though a writer still
// holds it (a child an exec'd command left in the background).
func TestDrainReturnsWhileAWriterStillHoldsThePipe(t *testing.T) {
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	require.NoError(t, unix.SetNonblock(p[0], true))
	held := os.NewFile(uintptr(p[1]), "held")
	defer held.Close()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer out.Close()
	r := &stdioRelay{drainable: true}
	r.stopR, r.stopW, err = os.Pipe()
	require.NoError(t, err)
	r.copying.Add(1)
	go func() {
		defer r.copying.Done()
		relayOutput(p[0], int(out.Fd()), int(r.stopR.Fd()), 32<<10)
		unix.Close(p[0])
	}()
	_, err = held.Write([]byte("written before the end\n"))
	require.NoError(t, err)
	drained := make(chan struct{})
	go func() {
		r.drain()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatal("drain waited for the writer that still holds the pipe")
	}
	got, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	assert.Equal(t, "written before the end\n", string(got))
}

// What a reader of the caller's stdin gets: all of it, then its end.
func TestRelayInputEndsWithItsSource(t *testing.T) {
	data := pattern(1<<20 + 7)
	srcR, srcW, err := os.Pipe()
	require.NoError(t, err)
	dstR, dstW, err := os.Pipe()
	require.NoError(t, err)
	go func() {
		srcW.Write(data)
		srcW.Close()
	}()
	go func() {
		relayInput(int(srcR.Fd()), int(dstW.Fd()))
		// Else the collector may close srcR, which nothing else uses,
		// while the relay reads it.
		runtime.KeepAlive(srcR)
		dstW.Close()
	}()
	got, err := io.ReadAll(dstR)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "got %d bytes, want %d", len(got), len(data))
}
