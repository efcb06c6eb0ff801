package launch

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingLog is a log that records what it was given.
type recordingLog struct{ bytes.Buffer }

func TestRelayLoggedCopiesToTheCallerAndTheLog(t *testing.T) {
	tests := []struct {
		name      string
		toCaller  bool
		withLog   bool
		wantOut   string
		wantInLog string
	}{
		{"caller and log", true, true, "data", "data"},
		{"log only (-a without the stream)", false, true, "", "data"},
		{"caller only (--log-driver none)", true, false, "data", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, srcW, err := os.Pipe()
			require.NoError(t, err)
			defer src.Close()
			dst, dstW, err := os.Pipe()
			require.NoError(t, err)
			defer dst.Close()
			want := strings.Repeat("data", 100000)
			go func() {
				srcW.WriteString(want)
				srcW.Close()
			}()
			var log recordingLog
			asked := 0
			logOf := func() io.Writer {
				asked++
				if !tt.withLog {
					return nil
				}
				return &log
			}
			out := make(chan string)
			go func() {
				data, _ := io.ReadAll(dst)
				out <- string(data)
			}()
			fd := -1
			if tt.toCaller {
				fd = int(dstW.Fd())
			}
			require.NoError(t, relayLogged(int(src.Fd()), fd, 1<<20, logOf))
			dstW.Close()
			got := <-out
			assert.Equal(t, 1, asked, "the log is asked for once")
			if tt.toCaller {
				assert.True(t, got == want, "the caller got %d bytes, want %d", len(got), len(want))
			} else {
				assert.Empty(t, got)
			}
			if tt.withLog {
				assert.True(t, log.String() == want, "the log got %d bytes, want %d", log.Len(), len(want))
			}
		})
	}
}

func TestForegroundLogIsKeptUnlessRemovedOrNone(t *testing.T) {
	assert.True(t, keepsForegroundLog(Options{}))
	assert.False(t, keepsForegroundLog(Options{Remove: true}), "--rm: removed with the container")
	o := Options{}
	o.Log.Driver = "none"
	assert.False(t, keepsForegroundLog(o))
}
