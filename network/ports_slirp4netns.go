package network

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"
)

// slirpAPI publishes ports through slirp4netns's API socket
// (port_handler=slirp4netns): slirp4netns itself listens on the host.
type slirpAPI struct {
	socket  string
	guestIP string
}

// newSlirpAPI prepares publishing to guestIP, the container's address,
// through the API socket slirp4netns is to open in stateDir.
func newSlirpAPI(stateDir, guestIP string) (*slirpAPI, error) {
	socket := filepath.Join(stateDir, "slirp4netns.sock")
	if err := checkSocketPath(socket); err != nil {
		return nil, err
	}
	return &slirpAPI{socket: socket, guestIP: guestIP}, nil
}

func (a *slirpAPI) publish(ports []PortMapping) error {
	for _, p := range ports {
		hostAddr := p.HostIP
		if hostAddr == "" {
			hostAddr = "0.0.0.0"
		}
		req := map[string]any{
			"execute": "add_hostfwd",
			"arguments": map[string]any{
				"proto": p.Proto, "host_addr": hostAddr, "host_port": p.HostPort,
				"guest_addr": a.guestIP, "guest_port": p.ContainerPort,
			},
		}
		if err := a.call(req); err != nil {
			return fmt.Errorf("publish %s through slirp4netns: %w", p, err)
		}
	}
	return nil
}

// call sends one request; slirp4netns answers after the client shuts its
// side down, with {"return": ...} or {"error": {"desc": ...}}.
func (a *slirpAPI) call(req any) error {
	conn, err := net.DialTimeout("unix", a.socket, readyTimeout)
	if err != nil {
		return fmt.Errorf("connect to slirp4netns's API socket: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(readyTimeout))
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := conn.Write(data); err != nil {
		return fmt.Errorf("send to slirp4netns: %w", err)
	}
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		return fmt.Errorf("send to slirp4netns: %w", err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		return fmt.Errorf("read slirp4netns's answer: %w", err)
	}
	var r struct {
		Return json.RawMessage `json:"return"`
		Error  *struct {
			Desc string `json:"desc"`
		} `json:"error"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return fmt.Errorf("slirp4netns answered %q: %w", reply, err)
	}
	if r.Error != nil {
		return fmt.Errorf("slirp4netns: %s", r.Error.Desc)
	}
	if r.Return == nil {
		return fmt.Errorf("slirp4netns answered %q", reply)
	}
	return nil
}

// stop leaves the forwards to slirp4netns, which drops them as it ends.
func (a *slirpAPI) stop() error { return nil }
