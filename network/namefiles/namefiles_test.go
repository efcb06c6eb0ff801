package namefiles

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/network"
)

func mustMode(t *testing.T, s string) network.Mode {
	t.Helper()
	m, err := network.ParseMode(s)
	require.NoError(t, err)
	return m
}

func TestResolvConfPointsAtWhatTheContainerCanReach(t *testing.T) {
	const hostPublic = "# from DHCP\nnameserver 192.0.2.53\nnameserver 127.0.0.53\nsearch example.com lan\noptions edns0 trust-ad\n"
	const hostLoopbackOnly = "nameserver 127.0.0.53\nnameserver ::1\noptions edns0\nsearch lan\n"
	tests := []struct {
		name    string
		mode    string
		host    string
		o       Options
		want    string
		wantErr string
	}{
		{name: "slirp4netns uses its forwarder", mode: "slirp4netns", host: hostPublic,
			want: "search example.com lan\nnameserver 10.0.2.3\noptions edns0 trust-ad\n"},
		{name: "slirp4netns forwarder follows the CIDR", mode: "slirp4netns:cidr=172.30.0.0/16", host: hostLoopbackOnly,
			want: "search lan\nnameserver 172.30.0.3\noptions edns0\n"},
		{name: "slirp4netns with IPv6 has its IPv6 forwarder too", mode: "slirp4netns:enable_ipv6=true", host: "",
			want: "nameserver 10.0.2.3\nnameserver fd00::3\n"},
		{name: "pasta forwards to the host's servers", mode: "pasta", host: hostPublic,
			want: "search example.com lan\nnameserver 169.254.1.1\noptions edns0 trust-ad\n"},
		{name: "pasta forwards when the host has loopback servers only", mode: "pasta", host: hostLoopbackOnly,
			want: "search lan\nnameserver 169.254.1.1\noptions edns0\n"},
		{name: "pasta forwards from the user's address", mode: "pasta:--dns-forward,10.9.9.9", host: hostLoopbackOnly,
			want: "search lan\nnameserver 10.9.9.9\noptions edns0\n"},
		{name: "none keeps the host's reachable servers", mode: "none", host: hostLoopbackOnly,
			want: "search lan\noptions edns0\n"},
		{name: "host is the host's file", mode: "host", host: hostPublic, want: hostPublic},
		{name: "a network with names asks urun's name server, as Docker's", mode: "appnet", host: hostPublic,
			want: "search example.com lan\nnameserver 127.0.0.11\noptions ndots:0 edns0 trust-ad\n"},
		{name: "--dns on a network with names is the name server's upstream", mode: "appnet", host: hostPublic, o: Options{DNS: []string{"1.1.1.1"}},
			want: "search example.com lan\nnameserver 127.0.0.11\noptions ndots:0 edns0 trust-ad\n"},
		{name: "the default network uses the uplink's forwarder", mode: "bridge", host: hostPublic,
			want: "search example.com lan\nnameserver 10.0.2.3\noptions edns0 trust-ad\n"},
		{name: "the last search or domain wins", mode: "none", host: "domain a.example\nsearch b.example c.example\nnameserver 192.0.2.1\n",
			want: "search b.example c.example\nnameserver 192.0.2.1\n"},
		{name: "--dns replaces the servers", mode: "slirp4netns", host: hostPublic, o: Options{DNS: []string{"1.1.1.1", "2606:4700:4700::1111"}},
			want: "search example.com lan\nnameserver 1.1.1.1\nnameserver 2606:4700:4700::1111\noptions edns0 trust-ad\n"},
		{name: "--dns-search and --dns-option replace theirs", mode: "pasta", host: hostPublic, o: Options{DNSSearch: []string{"corp.example"}, DNSOptions: []string{"ndots:2"}},
			want: "search corp.example\nnameserver 169.254.1.1\noptions ndots:2\n"},
		{name: "--dns-search . clears the search list", mode: "slirp4netns", host: hostPublic, o: Options{DNSSearch: []string{"."}},
			want: "nameserver 10.0.2.3\noptions edns0 trust-ad\n"},
		{name: "host with --dns is rebuilt", mode: "host", host: hostPublic, o: Options{DNS: []string{"192.0.2.9"}},
			want: "search example.com lan\nnameserver 192.0.2.9\noptions edns0 trust-ad\n"},
		{name: "--dns must be an address", mode: "slirp4netns", o: Options{DNS: []string{"dns.example"}},
			wantErr: `--dns "dns.example": not an IP address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolvConf(mustMode(t, tt.mode), []byte(tt.host), tt.o)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

// fakeHost is a host with a default route via 192.0.2.1 from 192.0.2.2.
type fakeHost struct {
	hosts   string
	noRoute bool
}

func (f fakeHost) hostsFile() ([]byte, error) { return []byte(f.hosts), nil }

func (f fakeHost) defaultRoute() (net.IP, net.IP, error) {
	if f.noRoute {
		return nil, nil, errors.New("the host has no IPv4 default route")
	}
	return net.ParseIP("192.0.2.1").To4(), net.ParseIP("192.0.2.2").To4(), nil
}

func TestHostsNamesTheContainerAndWhatItMayReach(t *testing.T) {
	const local = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
	tests := []struct {
		name    string
		mode    string
		host    fakeHost
		o       Options
		want    string
		wantErr string
	}{
		{name: "slirp4netns", mode: "slirp4netns",
			want: local + "10.0.2.100\tweb\n"},
		{name: "slirp4netns with a CIDR", mode: "slirp4netns:cidr=10.7.0.0/24",
			want: local + "10.7.0.100\tweb\n"},
		{name: "slirp4netns allowing the host's loopback", mode: "slirp4netns:allow_host_loopback=true",
			want: local + "10.0.2.2\thost.containers.internal host.docker.internal\n10.0.2.100\tweb\n"},
		{name: "add-host entries come before the container", mode: "slirp4netns",
			o:    Options{AddHosts: []string{"db:192.0.2.10", "v6:2001:db8::1", "br:[2001:db8::2]", "eq=192.0.2.11"}},
			want: local + "192.0.2.10\tdb\n2001:db8::1\tv6\n2001:db8::2\tbr\n192.0.2.11\teq\n10.0.2.100\tweb\n"},
		{name: "host-gateway with host loopback allowed", mode: "slirp4netns:allow_host_loopback=true",
			o:    Options{AddHosts: []string{"gw:host-gateway"}},
			want: local + "10.0.2.2\tgw\n10.0.2.2\thost.containers.internal host.docker.internal\n10.0.2.100\tweb\n"},
		{name: "host-gateway without host loopback is the host's address", mode: "slirp4netns",
			o:    Options{AddHosts: []string{"gw:host-gateway"}},
			want: local + "192.0.2.2\tgw\n10.0.2.100\tweb\n"},
		{name: "host-gateway without any host address", mode: "slirp4netns", host: fakeHost{noRoute: true},
			o: Options{AddHosts: []string{"gw:host-gateway"}}, wantErr: "allow_host_loopback=true"},
		{name: "pasta shares the host's address", mode: "pasta",
			want: local + "192.0.2.2\tweb\n"},
		{name: "pasta with its own address", mode: "pasta:-a,10.0.2.5,-a,fd00::5",
			want: local + "10.0.2.5\tweb\n"},
		{name: "pasta mapping the gateway", mode: "pasta:--map-gw", o: Options{AddHosts: []string{"gw:host-gateway"}},
			want: local + "192.0.2.1\tgw\n192.0.2.1\thost.containers.internal host.docker.internal\n192.0.2.2\tweb\n"},
		{name: "pasta host-gateway without --map-gw", mode: "pasta", o: Options{AddHosts: []string{"gw:host-gateway"}},
			wantErr: "pasta:--map-gw"},
		{name: "none", mode: "none",
			want: local + "127.0.1.1\tweb\n"},
		{name: "none has no host-gateway", mode: "none", o: Options{AddHosts: []string{"gw:host-gateway"}},
			wantErr: "--network none has no way to the host"},
		{name: "host is the host's file and the add-hosts", mode: "host", host: fakeHost{hosts: "127.0.0.1 localhost\n127.0.1.1 box"},
			o:    Options{AddHosts: []string{"db:192.0.2.10", "gw:host-gateway"}},
			want: "127.0.0.1 localhost\n127.0.1.1 box\n192.0.2.10\tdb\n127.0.0.1\tgw\n"},
		{name: "add-host without an address", mode: "slirp4netns", o: Options{AddHosts: []string{"db"}}, wantErr: `--add-host "db": want NAME:IP`},
		{name: "add-host without a name", mode: "slirp4netns", o: Options{AddHosts: []string{":192.0.2.1"}}, wantErr: "want NAME:IP"},
		{name: "add-host with a bad address", mode: "slirp4netns", o: Options{AddHosts: []string{"db:somewhere"}}, wantErr: "\"somewhere\" is not an IP address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hosts(mustMode(t, tt.mode), "web", tt.o, tt.host, "", nil)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestTheDefaultRouteIsReadInTheHostsByteOrder(t *testing.T) {
	// /proc/net/route of a little-endian host routing via 192.0.2.1 on eth0.
	const route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	iface, gw, err := parseDefaultRoute([]byte(route))
	require.NoError(t, err)
	assert.Equal(t, "eth0", iface)
	if isLittleEndian() {
		assert.Equal(t, "192.0.2.1", gw.String())
	}
	_, _, err = parseDefaultRoute([]byte("Iface\tDestination\tGateway\n"))
	assert.ErrorContains(t, err, "no IPv4 default route")
}

func isLittleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

func TestCheckRefusesWhatWouldBreakTheFiles(t *testing.T) {
	m := mustMode(t, "slirp4netns")
	tests := []struct {
		o       Options
		wantErr string
	}{
		{Options{DNS: []string{"999.1.1.1"}}, `--dns "999.1.1.1"`},
		{Options{DNSSearch: []string{"a\nnameserver 6.6.6.6"}}, "--dns-search"},
		{Options{DNSSearch: []string{"bad..domain"}}, "--dns-search"},
		{Options{DNSOptions: []string{"ndots:1 x"}}, "--dns-option"},
		{Options{AddHosts: []string{"bogus"}}, `--add-host "bogus"`},
		{Options{AddHosts: []string{"db\nevil:1.2.3.4"}}, "--add-host"},
		{Options{AddHosts: []string{"db:1.2.3.4\n"}}, "not an IP address"},
		{Options{DNS: []string{"1.1.1.1"}, DNSSearch: []string{".", "corp.example"}, DNSOptions: []string{"ndots:2"}, AddHosts: []string{"db:10.0.0.1", "v6=[::1]"}}, ""},
	}
	for _, tt := range tests {
		err := Check(m, tt.o)
		if tt.wantErr == "" {
			assert.NoError(t, err)
			continue
		}
		require.Error(t, err, "%+v", tt.o)
		assert.Contains(t, err.Error(), tt.wantErr)
	}
}
