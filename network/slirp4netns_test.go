package network

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSlirp4netnsFlags(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		api     string
		sandbox bool
		want    string
	}{
		{"default", "slirp4netns", "", true,
			"--configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp --ready-fd=3 --exit-fd=4 4242 tap0"},
		{"every option", "slirp4netns:allow_host_loopback=true,mtu=1500,cidr=10.9.0.0/16,outbound_addr=eth0,outbound_addr6=eth1,enable_ipv6=true,port_handler=slirp4netns", "/run/s.sock", true,
			"--configure --mtu=1500 --enable-sandbox --enable-seccomp --ready-fd=3 --exit-fd=4 --api-socket /run/s.sock --cidr=10.9.0.0/16 --outbound-addr=eth0 --outbound-addr6=eth1 --enable-ipv6 4242 tap0"},
		{"without the sandbox", "slirp4netns", "", false,
			"--configure --mtu=65520 --disable-host-loopback --ready-fd=3 --exit-fd=4 4242 tap0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slirp4netnsArgs(mustMode(t, tt.mode).Slirp, 4242, tt.api, tt.sandbox)
			assert.Equal(t, tt.want, strings.Join(got, " "))
		})
	}
}

func TestSlirpAddressesFollowTheCIDR(t *testing.T) {
	for _, tt := range []struct{ cidr, gw, dns, own string }{
		{DefaultCIDR, "10.0.2.2", "10.0.2.3", "10.0.2.100"},
		{"192.168.7.0/24", "192.168.7.2", "192.168.7.3", "192.168.7.100"},
		{"", "10.0.2.2", "10.0.2.3", "10.0.2.100"},
	} {
		o := SlirpOptions{CIDR: tt.cidr}
		assert.Equal(t, tt.gw, o.GatewayIP().String(), tt.cidr)
		assert.Equal(t, tt.dns, o.DNSIP().String(), tt.cidr)
		assert.Equal(t, tt.own, o.ContainerIP().String(), tt.cidr)
	}
}
