package network

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuiltinPortsForwardThroughTheChildDriver runs the port child's
// driver in this process and namespace: the parent listens on the host
// port, the child connects to the "container's" port and passes the
// connection back.
func TestBuiltinPortsForwardThroughTheChildDriver(t *testing.T) {
	server, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer server.Close()
	go func() {
		for {
			c, err := server.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("echo " + line))
			c.Close()
		}
	}()

	dir := t.TempDir()
	b, err := newBuiltinPorts(dir, "127.0.0.1")
	require.NoError(t, err)
	opaque := b.driver.OpaqueForChild()
	quit := make(chan struct{})
	childDone := make(chan error, 1)
	go func() { childDone <- builtin.NewChildDriver(io.Discard).RunChildDriver(opaque, quit, "") }()

	ports, err := pickHostPorts([]PortMapping{{HostIP: "127.0.0.1", ContainerPort: server.Addr().(*net.TCPAddr).Port, Proto: "tcp"}})
	require.NoError(t, err)
	require.NoError(t, b.publish(ports))

	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0].HostPort)))
	require.NoError(t, err)
	c.Write([]byte("hi\n"))
	reply, _ := io.ReadAll(c)
	c.Close()
	assert.Equal(t, "echo hi\n", string(reply))

	require.NoError(t, b.stop())
	close(quit)
	assert.NoError(t, <-childDone)
	_, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0].HostPort)))
	assert.Error(t, err, "the host port is closed after stop")
}
