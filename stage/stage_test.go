package stage

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoStage is the test binary started as a stage: it sends its request
// back as a Report.
const echoStage Name = "urun-test-echo"

type echoRequest struct {
	Words []string `json:"words"`
	Paths string   `json:"paths"`
}

func TestMain(m *testing.M) {
	if Current() == echoStage {
		var req echoRequest
		if err := Request(&req); err != nil {
			SendFailure(Socket(), 125, err)
			os.Exit(125)
		}
		// What came, in short: a reply is not for big messages.
		req.Paths = strconv.Itoa(len(req.Paths))
		data, _ := json.Marshal(req)
		Send(Socket(), Report, string(data))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestAStageReadsTheRequestItWasSent(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  echoRequest
	}{
		{"a small request", echoRequest{Words: []string{"hello"}}},
		{"an empty one", echoRequest{}},
		{"one bigger than a page", echoRequest{Paths: strings.Repeat("/long/path", 10<<10)}},
		{"one bigger than the socket's default buffer", echoRequest{Paths: strings.Repeat("registry.example/image:tag ", 20<<10)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := CommandOf(os.Args[0], echoStage)
			p, err := Run(cmd, Caller{}, tc.req)
			require.NoError(t, err)
			m, err := Expect(p.Socket, Report)
			require.NoError(t, err)
			var got echoRequest
			require.NoError(t, json.Unmarshal([]byte(m.Text), &got))
			want := tc.req
			want.Paths = strconv.Itoa(len(tc.req.Paths))
			assert.Equal(t, want, got)
			require.NoError(t, cmd.Wait())
		})
	}
}

func TestAProcessUrunDidNotStartIsNoStage(t *testing.T) {
	assert.Equal(t, Name(""), Current())
	assert.Nil(t, Socket())
	assert.Error(t, Request(&echoRequest{}))
}
