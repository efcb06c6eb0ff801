package network

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultSlirp() SlirpOptions {
	return SlirpOptions{MTU: DefaultMTU, CIDR: DefaultCIDR, PortHandler: PortHandlerRootlesskit}
}

func TestParseModeReadsPodmansNetworkOptions(t *testing.T) {
	withSlirp := func(f func(*SlirpOptions)) Mode {
		o := defaultSlirp()
		f(&o)
		return Mode{Kind: KindSlirp4netns, Slirp: o}
	}
	tests := []struct {
		in      string
		want    Mode
		wantErr string
	}{
		{in: "", want: Mode{Kind: KindSlirp4netns, Slirp: defaultSlirp()}},
		{in: "slirp4netns", want: Mode{Kind: KindSlirp4netns, Slirp: defaultSlirp()}},
		{in: "bridge", want: Mode{Kind: KindNetworks, Networks: []Attachment{{Name: "bridge"}}}},
		{in: "web-net.1", want: Mode{Kind: KindNetworks, Networks: []Attachment{{Name: "web-net.1"}}}},
		{in: "container:web", want: Mode{Kind: KindContainer, Container: "web"}},
		{in: "slirp4netns:allow_host_loopback=true", want: withSlirp(func(o *SlirpOptions) { o.AllowHostLoopback = true })},
		{in: "slirp4netns:mtu=1500,enable_ipv6=true", want: withSlirp(func(o *SlirpOptions) { o.MTU = 1500; o.EnableIPv6 = true })},
		{in: "slirp4netns:cidr=10.0.5.7/24", want: withSlirp(func(o *SlirpOptions) { o.CIDR = "10.0.5.0/24" })},
		{in: "slirp4netns:outbound_addr=eth0,outbound_addr6=2001:db8::1", want: withSlirp(func(o *SlirpOptions) { o.OutboundAddr = "eth0"; o.OutboundAddr6 = "2001:db8::1" })},
		{in: "slirp4netns:outbound_addr=192.0.2.7", want: withSlirp(func(o *SlirpOptions) { o.OutboundAddr = "192.0.2.7" })},
		{in: "slirp4netns:port_handler=slirp4netns", want: withSlirp(func(o *SlirpOptions) { o.PortHandler = PortHandlerSlirp4netns })},
		{in: "pasta", want: Mode{Kind: KindPasta}},
		{in: "pasta:--ipv4-only,-a,10.0.2.5", want: Mode{Kind: KindPasta, PastaArgs: []string{"--ipv4-only", "-a", "10.0.2.5"}}},
		{in: "none", want: Mode{Kind: KindNone}},
		{in: "host", want: Mode{Kind: KindHost}},

		{in: "slirp4netns:bogus=1", wantErr: "unknown slirp4netns option \"bogus\": the options are allow_host_loopback, mtu, cidr, outbound_addr, outbound_addr6, enable_ipv6, port_handler"},
		{in: "slirp4netns:allow_host_loopback", wantErr: "want NAME=VALUE"},
		{in: "slirp4netns:allow_host_loopback=yes please", wantErr: "want true or false"},
		{in: "slirp4netns:mtu=70000", wantErr: "from 68 to 65521"},
		{in: "slirp4netns:mtu=x", wantErr: "from 68 to 65521"},
		{in: "slirp4netns:cidr=10.0.2.0/28", wantErr: "at most /25"},
		{in: "slirp4netns:cidr=fd00::/64", wantErr: "IPv4 network"},
		{in: "slirp4netns:outbound_addr=2001:db8::1", wantErr: "want an IPv4 address"},
		{in: "slirp4netns:outbound_addr6=192.0.2.1", wantErr: "want an IPv6 address"},
		{in: "slirp4netns:port_handler=socat", wantErr: "want rootlesskit or slirp4netns"},
		{in: "pasta:--netns,/proc/1/ns/net", wantErr: "pasta option --netns cannot be given"},
		{in: "pasta:-f", wantErr: "pasta option -f cannot be given"},
		{in: "none:x", wantErr: "takes no options"},
		{in: "bridge:x", wantErr: `--network "bridge:x": unknown network mode`},
		{in: "container:", wantErr: "name the container"},
		{in: "-net", wantErr: `--network "-net": unknown network mode`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMode(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestModesSayWhetherTheyHaveTheirOwnConnectedNetwork(t *testing.T) {
	tests := []struct {
		kind           string
		own, connected bool
	}{
		{KindSlirp4netns, true, true},
		{KindPasta, true, true},
		{KindNone, true, false},
		{KindHost, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m := Mode{Kind: tt.kind}
			assert.Equal(t, tt.own, m.OwnNetNS())
			assert.Equal(t, tt.connected, m.Connected())
		})
	}
}

func mustMode(t *testing.T, s string) Mode {
	t.Helper()
	m, err := ParseMode(s)
	require.NoError(t, err)
	return m
}
