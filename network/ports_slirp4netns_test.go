package network

import (
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSlirpAPI answers each request on a unix socket with reply and
// records the requests.
func fakeSlirpAPI(t *testing.T, reply string) (string, chan map[string]any) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan map[string]any, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			data, _ := io.ReadAll(c)
			var req map[string]any
			json.Unmarshal(data, &req)
			got <- req
			c.Write([]byte(reply))
			c.Close()
		}
	}()
	return sock, got
}

func TestSlirpAPIPublishesThroughSlirp4netns(t *testing.T) {
	sock, got := fakeSlirpAPI(t, `{"return": {"id": 1}}`)
	a := &slirpAPI{socket: sock, guestIP: "10.0.2.100"}
	require.NoError(t, a.publish([]PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}, {HostIP: "127.0.0.1", HostPort: 5353, ContainerPort: 53, Proto: "udp"}}))
	assert.Equal(t, map[string]any{"execute": "add_hostfwd", "arguments": map[string]any{
		"proto": "tcp", "host_addr": "0.0.0.0", "host_port": 8080.0, "guest_addr": "10.0.2.100", "guest_port": 80.0,
	}}, <-got)
	assert.Equal(t, "127.0.0.1", (<-got)["arguments"].(map[string]any)["host_addr"])

	sock, _ = fakeSlirpAPI(t, `{"error": {"desc": "bad request: add_hostfwd: slirp_add_hostfwd failed"}}`)
	a = &slirpAPI{socket: sock, guestIP: "10.0.2.100"}
	err := a.publish([]PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}})
	assert.EqualError(t, err, "publish 0.0.0.0:8080->80/tcp through slirp4netns: slirp4netns: bad request: add_hostfwd: slirp_add_hostfwd failed")
}
