package netdef

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
	"github.com/urun/urun/prunefilter"
)

// testConfig is a store of its own, on a host whose routes are those
// given (lines of /proc/net/route after its header).
func testConfig(t *testing.T, routes ...string) *config.Config {
	t.Helper()
	routeFile := filepath.Join(t.TempDir(), "route")
	table := "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	for _, r := range routes {
		table += r + "\n"
	}
	if err := os.WriteFile(routeFile, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	old := hostRoutesFile
	hostRoutesFile = routeFile
	t.Cleanup(func() { hostRoutesFile = old })
	return &config.Config{GraphRoot: t.TempDir()}
}

func mustCreate(t *testing.T, cfg *config.Config, o CreateOptions) Network {
	t.Helper()
	n, err := Create(cfg, o)
	if err != nil {
		t.Fatalf("create %s: %v", o.Name, err)
	}
	return n
}

func TestCreateWithoutSubnetTakesTheNextFreeDefaultPool(t *testing.T) {
	cfg := testConfig(t)
	want := []struct{ subnet, gateway string }{
		{"172.18.0.0/16", "172.18.0.1"},
		{"172.19.0.0/16", "172.19.0.1"},
		{"172.20.0.0/16", "172.20.0.1"},
	}
	for i, w := range want {
		n := mustCreate(t, cfg, CreateOptions{Name: "net" + string(rune('a'+i))})
		if len(n.Subnets) != 1 || n.Subnets[0].Subnet.String() != w.subnet || n.Subnets[0].Gateway.String() != w.gateway {
			t.Errorf("network %d: subnets %+v, want %s gateway %s", i, n.Subnets, w.subnet, w.gateway)
		}
		if len(n.ID) != 64 || n.Driver != "bridge" || n.BridgeName() != "br-"+n.ID[:12] {
			t.Errorf("network %d: id %q driver %q bridge %q", i, n.ID, n.Driver, n.BridgeName())
		}
	}
}

func TestCreateSkipsSubnetsOfHostRoutesAndRemovedNetworksComeBack(t *testing.T) {
	// 172.18.0.0/16 and 172.19.5.0/24 are routed on the host.
	cfg := testConfig(t, "eth1\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0", "eth2\t000513AC\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0")
	a := mustCreate(t, cfg, CreateOptions{Name: "a"})
	if got := a.Subnets[0].Subnet.String(); got != "172.20.0.0/16" {
		t.Fatalf("first network: %s, want 172.20.0.0/16 (past the host's routes)", got)
	}
	mustCreate(t, cfg, CreateOptions{Name: "b"})
	if err := Remove(cfg, "a", nil); err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, cfg, CreateOptions{Name: "c"})
	if got := c.Subnets[0].Subnet.String(); got != "172.20.0.0/16" {
		t.Errorf("after removing a: %s, want its 172.20.0.0/16 again", got)
	}
}

func TestCreateAfterTheSixteensTakes192168TwentyFours(t *testing.T) {
	// 172.16.0.0/12 routed on the host (a VPN): every 172 pool is taken.
	cfg := testConfig(t, "tun0\t000010AC\t00000000\t0001\t0\t0\t0\t0000F0FF\t0\t0\t0")
	n := mustCreate(t, cfg, CreateOptions{Name: "a"})
	if got := n.Subnets[0].Subnet.String(); got != "192.168.0.0/24" {
		t.Errorf("got %s, want 192.168.0.0/24", got)
	}
}

func TestCreateRefusesBadValuesNamingTheFix(t *testing.T) {
	cfg := testConfig(t)
	mustCreate(t, cfg, CreateOptions{Name: "web", Subnets: []string{"172.18.0.0/16"}})
	tests := []struct {
		name string
		o    CreateOptions
		want string
	}{
		{"name taken", CreateOptions{Name: "web"}, "network with name web already exists"},
		{"name with a slash", CreateOptions{Name: "a/b"}, "invalid network name"},
		{"name starting with a dot", CreateOptions{Name: ".x"}, "invalid network name"},
		{"name starting with a dash", CreateOptions{Name: "-x"}, "invalid network name"},
		{"no name", CreateOptions{}, "needs a name"},
		{"name of the default network", CreateOptions{Name: "bridge"}, "network with name bridge already exists"},
		{"name of a --network mode", CreateOptions{Name: "host"}, "--network host mode"},
		{"other driver", CreateOptions{Name: "x", Driver: "overlay"}, `driver "overlay" is not supported: urun's networks use driver bridge`},
		{"overlapping subnet", CreateOptions{Name: "x", Subnets: []string{"172.18.0.0/16"}}, "--subnet 172.18.0.0/16 overlaps network web (172.18.0.0/16): give another --subnet, such as 172.19.0.0/16"},
		{"subnet inside another", CreateOptions{Name: "x", Subnets: []string{"172.18.4.0/24"}}, "overlaps network web"},
		{"subnet over the default network", CreateOptions{Name: "x", Subnets: []string{"172.16.0.0/12"}}, "overlaps network"},
		{"subnet over slirp4netns's", CreateOptions{Name: "x", Subnets: []string{"10.0.0.0/8"}}, "overlaps 10.0.2.0/24"},
		{"subnet not a network address", CreateOptions{Name: "x", Subnets: []string{"10.9.3.7/16"}}, "invalid --subnet 10.9.3.7/16: it should be 10.9.0.0/16"},
		{"subnet not CIDR", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0"}}, "not in CIDR notation"},
		{"subnet too small", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/31"}}, "give a /30 or larger"},
		{"loopback subnet", CreateOptions{Name: "x", Subnets: []string{"127.0.0.0/8"}}, "give a private one"},
		{"two IPv4 subnets", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16", "10.10.0.0/16"}}, "one IPv4 subnet"},
		{"IPv6 subnet without --ipv6", CreateOptions{Name: "x", Subnets: []string{"fd00:1::/64"}}, "add --ipv6"},
		{"gateway outside the subnet", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, Gateways: []string{"10.8.0.1"}}, "--gateway 10.8.0.1 is in no --subnet"},
		{"gateway without subnet", CreateOptions{Name: "x", Gateways: []string{"10.8.0.1"}}, "--gateway 10.8.0.1 is in no --subnet"},
		{"gateway the network address", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, Gateways: []string{"10.9.0.0"}}, "network address of 10.9.0.0/16: give an address inside it, such as 10.9.0.1"},
		{"gateway the broadcast address", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, Gateways: []string{"10.9.255.255"}}, "broadcast address"},
		{"gateway not an address", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, Gateways: []string{"ten"}}, "not an IP address"},
		{"ip-range outside the subnet", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, IPRanges: []string{"10.10.1.0/24"}}, "--ip-range 10.10.1.0/24 is in no --subnet"},
		{"ip-range larger than the subnet", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, IPRanges: []string{"10.8.0.0/15"}}, "is in no --subnet"},
		{"ip-range not a network address", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, IPRanges: []string{"10.9.1.5/24"}}, "it should be 10.9.1.0/24"},
		{"ip-range only the gateway", CreateOptions{Name: "x", Subnets: []string{"10.9.0.0/16"}, IPRanges: []string{"10.9.0.1/32"}}, "leaves no address"},
		{"mtu too small", CreateOptions{Name: "x", Options: map[string]string{"mtu": "60"}}, "from 68 to 65535"},
		{"mtu not a number", CreateOptions{Name: "x", Options: map[string]string{"com.docker.network.driver.mtu": "big"}}, "from 68 to 65535"},
		{"unknown option", CreateOptions{Name: "x", Options: map[string]string{"com.docker.network.bridge.name": "br9"}}, "unknown option for driver bridge: urun knows mtu, com.docker.network.driver.mtu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Create(cfg, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
		})
	}
	list, err := List(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("refused creates left networks: %d networks, want bridge and web", len(list))
	}
	entries, _ := os.ReadDir(Dir(cfg))
	if len(entries) != 3 {
		t.Errorf("refused creates left files: %v", entries)
	}
}

func TestCreateWithSubnetGatewayRangeMTUAndLabels(t *testing.T) {
	cfg := testConfig(t)
	n := mustCreate(t, cfg, CreateOptions{
		Name: "db.net_1", Subnets: []string{"10.9.0.0/16"}, Gateways: []string{"10.9.0.254"}, IPRanges: []string{"10.9.1.0/24"},
		Internal: true, Labels: map[string]string{"app": "shop"}, Options: map[string]string{"com.docker.network.driver.mtu": "1400"},
	})
	got, err := Get(cfg, "db.net_1")
	if err != nil {
		t.Fatal(err)
	}
	want := Subnet{Subnet: netip.MustParsePrefix("10.9.0.0/16"), Gateway: netip.MustParseAddr("10.9.0.254"), IPRange: netip.MustParsePrefix("10.9.1.0/24")}
	if len(got.Subnets) != 1 || got.Subnets[0] != want || !got.Internal || got.MTU != 1400 || got.LinkMTU() != 1400 || got.Labels["app"] != "shop" || got.ID != n.ID || !got.Created.Equal(n.Created) {
		t.Errorf("read back %+v, want %+v", got, n)
	}
}

func TestCreateWithIPv6GetsAUniqueLocal64(t *testing.T) {
	cfg := testConfig(t)
	n := mustCreate(t, cfg, CreateOptions{Name: "six", IPv6: true})
	v6, ok := n.IPv6Subnet()
	if !ok || !n.IPv6 {
		t.Fatalf("no IPv6 subnet: %+v", n)
	}
	if v6.Subnet.Bits() != 64 || v6.Subnet.Addr().As16()[0] != 0xfd || v6.Gateway != v6.Subnet.Addr().Next() {
		t.Errorf("IPv6 subnet %s gateway %s, want an fd00::/8 /64 with gateway ::1", v6.Subnet, v6.Gateway)
	}
	if v4, ok := n.IPv4(); !ok || v4.Subnet.String() != "172.18.0.0/16" {
		t.Errorf("IPv4 subnet %v", n.Subnets)
	}
	given := mustCreate(t, cfg, CreateOptions{Name: "six2", IPv6: true, Subnets: []string{"fd12:3456::/64", "10.7.0.0/24"}})
	if s, _ := given.IPv6Subnet(); s.Subnet.String() != "fd12:3456::/64" || s.Gateway.String() != "fd12:3456::1" {
		t.Errorf("given IPv6 subnet: %+v", s)
	}
	if _, err := Create(cfg, CreateOptions{Name: "six3", IPv6: true, Subnets: []string{"fd12:3456::/48"}}); err == nil || !strings.Contains(err.Error(), "overlaps network six2") {
		t.Errorf("overlapping IPv6 subnet: %v", err)
	}
}

func TestTwoCreatesAtOnceGetDifferentSubnets(t *testing.T) {
	cfg := testConfig(t)
	const n = 8
	var wg sync.WaitGroup
	nets := make([]Network, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { nets[i], errs[i] = Create(cfg, CreateOptions{Name: "n" + string(rune('a'+i))}) })
	}
	wg.Wait()
	seen := map[netip.Prefix]string{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		s := nets[i].Subnets[0].Subnet
		if other, dup := seen[s]; dup {
			t.Errorf("%s and %s both got %s", other, nets[i].Name, s)
		}
		seen[s] = nets[i].Name
	}
	list, _ := List(cfg)
	if len(list) != n+1 {
		t.Errorf("%d networks, want %d and bridge", len(list), n)
	}
}

func TestTwoCreatesOfOneNameAtOnceMakeOne(t *testing.T) {
	cfg := testConfig(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = Create(cfg, CreateOptions{Name: "same"}) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !strings.Contains(err.Error(), "already exists") {
			t.Error(err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
}

func TestTheDefaultNetworkExistsWithAStableID(t *testing.T) {
	cfg := testConfig(t)
	first, err := Get(cfg, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := List(cfg)
	if len(again) != 1 || again[0].ID != first.ID || !again[0].Created.Equal(first.Created) {
		t.Errorf("default network changed: %+v then %+v", first, again)
	}
	if !first.Builtin() || first.BridgeName() != "urun0" || first.Subnets[0].Subnet.String() != "172.17.0.0/16" || first.Subnets[0].Gateway.String() != "172.17.0.1" {
		t.Errorf("default network: %+v", first)
	}
	err = Remove(cfg, "bridge", nil)
	if err == nil || err.Error() != "bridge is a pre-defined network and cannot be removed" {
		t.Errorf("remove bridge: %v", err)
	}
}

func TestGetByNameIDOrPrefix(t *testing.T) {
	cfg := testConfig(t)
	web := mustCreate(t, cfg, CreateOptions{Name: "web"})
	mustCreate(t, cfg, CreateOptions{Name: "db"})
	tests := []struct {
		name, ref, want, err string
	}{
		{"by name", "web", "web", ""},
		{"by full id", web.ID, "web", ""},
		{"by id prefix", web.ID[:7], "web", ""},
		{"unknown name", "nope", "", "network nope not found"},
		{"empty", "", "", "network  not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Get(cfg, tt.ref)
			switch {
			case tt.err != "":
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrNotFound) {
					t.Errorf("error %v, want %q wrapping ErrNotFound", err, tt.err)
				}
			case err != nil:
				t.Error(err)
			case n.Name != tt.want:
				t.Errorf("got %s, want %s", n.Name, tt.want)
			}
		})
	}
}

func TestGetByAPrefixOfTwoIDsIsAmbiguous(t *testing.T) {
	list := []Network{{Name: "a", ID: "ab" + strings.Repeat("0", 62)}, {Name: "b", ID: "ab" + strings.Repeat("1", 62)}}
	if _, err := Find(list, "ab"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("error %v, want ambiguous", err)
	}
}

func TestRemoveRefusesANetworkInUse(t *testing.T) {
	cfg := testConfig(t)
	web := mustCreate(t, cfg, CreateOptions{Name: "web"})
	on := []Endpoint{{Network: "web", ContainerID: strings.Repeat("c", 64), ContainerName: "httpd"}}
	err := Remove(cfg, "web", on)
	if err == nil || !strings.Contains(err.Error(), `error while removing network: network web has active endpoints (name:"httpd" id:"cccccccccccc")`) {
		t.Fatalf("remove in use: %v", err)
	}
	if err := Remove(cfg, web.ID[:12], []Endpoint{{Network: "other", ContainerName: "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(cfg, "web"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after rm: %v", err)
	}
	if err := Remove(cfg, "web", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("rm again: %v", err)
	}
}

func TestPruneRemovesUnusedCustomNetworksThatMatch(t *testing.T) {
	cfg := testConfig(t)
	mustCreate(t, cfg, CreateOptions{Name: "used"})
	mustCreate(t, cfg, CreateOptions{Name: "idle", Labels: map[string]string{"env": "test"}})
	mustCreate(t, cfg, CreateOptions{Name: "keep", Labels: map[string]string{"env": "prod"}})
	on := []Endpoint{{Network: "used", ContainerID: "c1", ContainerName: "web"}}
	f, err := prunefilter.Parse([]string{"label!=env=prod"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	removed, err := Prune(cfg, f, on)
	if err != nil || strings.Join(removed, " ") != "idle" {
		t.Errorf("pruned %v (%v), want idle", removed, err)
	}
	f, _ = prunefilter.Parse([]string{"until=1h"}, time.Now())
	if removed, _ := Prune(cfg, f, nil); len(removed) != 0 {
		t.Errorf("until=1h pruned %v, made just now", removed)
	}
	removed, _ = Prune(cfg, prunefilter.Filters{}, nil)
	if strings.Join(removed, " ") != "keep used" {
		t.Errorf("pruned %v, want keep used", removed)
	}
}

func TestListFilters(t *testing.T) {
	cfg := testConfig(t)
	web := mustCreate(t, cfg, CreateOptions{Name: "web", Labels: map[string]string{"tier": "front"}})
	mustCreate(t, cfg, CreateOptions{Name: "webdb"})
	list, _ := List(cfg)
	tests := []struct {
		filters []string
		want    string
	}{
		{nil, "bridge web webdb"},
		{[]string{"name=web"}, "web webdb"},
		{[]string{"name=^web$"}, "web"},
		{[]string{"type=builtin"}, "bridge"},
		{[]string{"type=custom", "label=tier=front"}, "web"},
		{[]string{"label=tier"}, "web"},
		{[]string{"id=" + web.ID[:6]}, "web"},
		{[]string{"driver=bridge", "scope=local"}, "bridge web webdb"},
		{[]string{"name=bridge", "name=webdb"}, "bridge webdb"},
	}
	for _, tt := range tests {
		f, err := ParseFilters(tt.filters)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range f.Keep(list) {
			names = append(names, n.Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("--filter %v: %s, want %s", tt.filters, got, tt.want)
		}
	}
	if _, err := ParseFilters([]string{"color=red"}); err == nil || !strings.Contains(err.Error(), "driver, id, label, name, scope, type") {
		t.Errorf("unknown filter: %v", err)
	}
}

func TestInspectDocumentIsDockers(t *testing.T) {
	cfg := testConfig(t)
	n := mustCreate(t, cfg, CreateOptions{Name: "web", Subnets: []string{"10.9.0.0/16"}, IPRanges: []string{"10.9.1.0/24"}})
	doc := n.Inspect([]Endpoint{{Network: n.ID, ContainerID: "cid", ContainerName: "httpd", IPv4Address: "10.9.1.1/16"}})
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Name":"web"`, `"Id":"` + n.ID + `"`, `"Scope":"local"`, `"Driver":"bridge"`, `"EnableIPv6":false`,
		`"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.9.0.0/16","IPRange":"10.9.1.0/24","Gateway":"10.9.0.1"}]}`,
		`"ConfigFrom":{"Network":""}`, `"Containers":{"cid":{"Name":"httpd","EndpointID":"","MacAddress":"","IPv4Address":"10.9.1.1/16","IPv6Address":""}}`,
		`"Options":{}`, `"Labels":{}`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("document lacks %s:\n%s", want, data)
		}
	}
}

func TestAddressesHandedOut(t *testing.T) {
	s := Subnet{Subnet: netip.MustParsePrefix("10.9.0.0/29"), Gateway: netip.MustParseAddr("10.9.0.1")}
	var got []string
	for ip := range s.Hosts() {
		got = append(got, ip.String())
	}
	if strings.Join(got, " ") != "10.9.0.2 10.9.0.3 10.9.0.4 10.9.0.5 10.9.0.6" {
		t.Errorf("hosts of %s: %v", s.Subnet, got)
	}
	used := map[netip.Addr]bool{netip.MustParseAddr("10.9.0.2"): true}
	if ip, err := s.Allocate(func(a netip.Addr) bool { return used[a] }); err != nil || ip.String() != "10.9.0.3" {
		t.Errorf("allocate: %s %v", ip, err)
	}
	if _, err := s.Allocate(func(netip.Addr) bool { return true }); err == nil {
		t.Error("a full subnet allocated an address")
	}
	ranged := Subnet{Subnet: netip.MustParsePrefix("10.9.0.0/16"), Gateway: netip.MustParseAddr("10.9.0.1"), IPRange: netip.MustParsePrefix("10.9.255.252/30")}
	got = nil
	for ip := range ranged.Hosts() {
		got = append(got, ip.String())
	}
	if strings.Join(got, " ") != "10.9.255.252 10.9.255.253 10.9.255.254" {
		t.Errorf("hosts of range %s: %v", ranged.IPRange, got)
	}
	if ranged.Contains(netip.MustParseAddr("10.9.0.5")) || !ranged.Contains(netip.MustParseAddr("10.9.255.253")) || ranged.Contains(netip.MustParseAddr("10.9.255.255")) {
		t.Error("Contains ignores the range or the broadcast address")
	}
	for ip, want := range map[string]string{"10.9.0.5": "", "10.10.0.5": "outside the network's subnet 10.9.0.0/16", "10.9.0.1": "gateway", "10.9.255.255": "broadcast"} {
		err := ranged.Assignable(netip.MustParseAddr(ip))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("--ip %s: %v, want %q", ip, err, want)
		}
	}
	if b := (Subnet{Subnet: netip.MustParsePrefix("172.18.0.0/16")}).Broadcast(); b.String() != "172.18.255.255" {
		t.Errorf("broadcast %s", b)
	}
}

func TestRemoveWaitsForAContainerJoiningTheNetwork(t *testing.T) {
	cfg := testConfig(t)
	cfg.LockTimeout = "50ms"
	mustCreate(t, cfg, CreateOptions{Name: "web"})
	n, release, err := Use(cfg, "web")
	if err != nil || n.Name != "web" {
		t.Fatalf("use: %v %+v", err, n)
	}
	var timeout *lockwait.TimeoutError
	if err := Remove(cfg, "web", nil); !errors.As(err, &timeout) {
		t.Errorf("remove while joining: %v, want a lock timeout", err)
	}
	if _, release2, err := Use(cfg, "web"); err != nil {
		t.Errorf("a second container joining at once: %v", err)
	} else {
		release2()
	}
	release()
	joined := []Endpoint{{Network: n.ID, ContainerID: "c1", ContainerName: "web1"}}
	err = RemoveUnused(cfg, "web", func() ([]Endpoint, error) { return joined, nil })
	if err == nil || !strings.Contains(err.Error(), "active endpoints") {
		t.Errorf("remove after joining: %v", err)
	}
	if _, _, err := Use(cfg, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("use of an unknown network: %v", err)
	}
}

func TestDanglingFilterKeepsTheNetworksNoContainerIsOn(t *testing.T) {
	cfg := testConfig(t)
	mustCreate(t, cfg, CreateOptions{Name: "used"})
	mustCreate(t, cfg, CreateOptions{Name: "idle"})
	list, _ := List(cfg)
	endpoints := []Endpoint{{Network: "used", ContainerID: "cid"}}
	for _, tt := range []struct{ filter, want string }{
		{"dangling=true", "idle"},
		{"dangling=false", "bridge used"},
	} {
		f, err := ParseFilters([]string{tt.filter})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range f.KeepDangling(f.Keep(list), endpoints) {
			names = append(names, n.Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("--filter %s: %s, want %s", tt.filter, got, tt.want)
		}
	}
	if _, err := ParseFilters([]string{"dangling=maybe"}); err == nil || !strings.Contains(err.Error(), "want true or false") {
		t.Errorf("dangling=maybe: %v", err)
	}
}
