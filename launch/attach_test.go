package launch

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetachKeys(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{"ctrl-p,ctrl-q", []byte{0x10, 0x11}, false},
		{"ctrl-a,d", []byte{0x01, 'd'}, false},
		{"ctrl-@", []byte{0}, false},
		{"ctrl-[", []byte{27}, false},
		{"", nil, false},
		{"ctrl-1", nil, true},
		{"alt-x", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDetachKeys(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// chunks is a reader that returns one chunk per Read, as a terminal does.
type chunks [][]byte

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	*c = (*c)[1:]
	return n, nil
}

func TestAttachInputStopsAtTheDetachKeysEvenAcrossReads(t *testing.T) {
	keys := []byte{0x10, 0x11}
	tests := []struct {
		name     string
		typed    [][]byte
		sent     string
		detached bool
	}{
		{"plain input, then the end", [][]byte{[]byte("ls\r")}, "ls\r", false},
		{"keys in one read", [][]byte{[]byte("ab\x10\x11cd")}, "ab", true},
		{"keys split over two reads", [][]byte{[]byte("ab\x10"), []byte("\x11cd")}, "ab", true},
		{"ctrl-p alone is passed on", [][]byte{[]byte("a\x10"), []byte("b")}, "a\x10b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conn bytes.Buffer
			r := chunks(tt.typed)
			assert.Equal(t, tt.detached, copyInput(&conn, &r, keys))
			var sent []byte
			for {
				kind, payload, err := readFrame(&conn)
				if err != nil {
					break
				}
				if kind == frameStdin {
					sent = append(sent, payload...)
				}
			}
			assert.Equal(t, tt.sent, string(sent))
		})
	}
}
