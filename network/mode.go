package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The --network kinds.
const (
	KindSlirp4netns = "slirp4netns"
	KindPasta       = "pasta"
	KindNone        = "none"
	KindHost        = "host"
	// KindNetworks is one or more of urun's networks (package usernet):
	// "bridge", the default one, or a network made with `urun network
	// create`.
	KindNetworks = "networks"
	// KindContainer shares a running container's network namespace.
	KindContainer = "container"
)

// DefaultNetwork is the network that `--network bridge` names, Docker's
// docker0.
const DefaultNetwork = "bridge"

// Defaults of slirp4netns networking, as podman uses them.
const (
	DefaultMTU  = 65520
	DefaultCIDR = "10.0.2.0/24"
)

// Port handlers of slirp4netns networking.
const (
	PortHandlerRootlesskit = "rootlesskit"
	PortHandlerSlirp4netns = "slirp4netns"
)

// Mode is a parsed --network value: "slirp4netns[:OPTIONS]" (the default),
// "pasta[:ARGS]", "none", "host".
type Mode struct {
	Kind  string
	Slirp SlirpOptions
	// PastaArgs are extra arguments for pasta, given comma-separated after
	// "pasta:". "--map-gw" is urun's (as it is podman's): it is not passed
	// on, and lets the container reach the host's loopback through the
	// gateway address.
	PastaArgs []string
	// Networks are the networks of KindNetworks, in the order given (the
	// first one's gateway is the default route).
	Networks []Attachment
	// Links are --link's CONTAINER[:ALIAS] on networks.
	Links []Link
	// Container is the container of KindContainer, as given.
	Container string
}

// Attachment is a container's place on one network: --network NAME with
// --network-alias and --ip, or `network connect`.
type Attachment struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	IP      string   `json:"ip,omitempty"`
}

// Link is --link CONTAINER[:ALIAS].
type Link struct {
	Container string `json:"container"`
	Alias     string `json:"alias"`
}

// ParseLink parses --link CONTAINER[:ALIAS]; the alias defaults to the
// container's name.
func ParseLink(s string) (Link, error) {
	name, alias, hasAlias := strings.Cut(s, ":")
	name = strings.TrimPrefix(name, "/")
	if !hasAlias {
		alias = name
	}
	if name == "" || alias == "" || !validName(name) || !validName(alias) {
		return Link{}, fmt.Errorf("--link %q: want CONTAINER[:ALIAS] (names of letters, digits, '_', '.' and '-')", s)
	}
	return Link{Container: name, Alias: alias}, nil
}

// validName is Docker's rule for names of containers and networks.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '_' && r != '.' && r != '-') {
			return false
		}
	}
	return true
}

// WithEndpoint applies --network-alias, --ip and --link to a parsed
// --network. implicit says --network was not given: --link then puts the
// container on the default network, where Docker's containers are.
func (m Mode) WithEndpoint(aliases []string, ip string, links []string, implicit bool) (Mode, error) {
	if len(links) > 0 && implicit && m.Kind == KindSlirp4netns {
		m = Mode{Kind: KindNetworks, Networks: []Attachment{{Name: DefaultNetwork}}}
	}
	if m.Kind != KindNetworks {
		given := map[string][]string{"--network-alias": aliases, "--link": links}
		if ip != "" {
			given["--ip"] = []string{ip}
		}
		for _, flag := range []string{"--network-alias", "--ip", "--link"} {
			if len(given[flag]) > 0 {
				return m, fmt.Errorf("%s %s: needs --network with a network's name (see 'urun network ls'), not %s", flag, given[flag][0], m.Kind)
			}
		}
		return m, nil
	}
	for _, a := range aliases {
		if !validName(a) {
			return m, fmt.Errorf("--network-alias %q: want a name of letters, digits, '_', '.' and '-'", a)
		}
	}
	m.Networks = append([]Attachment(nil), m.Networks...)
	m.Networks[0].Aliases = append(m.Networks[0].Aliases, aliases...)
	if ip != "" {
		if addr := net.ParseIP(ip); addr == nil || addr.To4() == nil {
			return m, fmt.Errorf("--ip %q: want an IPv4 address", ip)
		}
		m.Networks[0].IP = ip
	}
	for _, l := range links {
		link, err := ParseLink(l)
		if err != nil {
			return m, err
		}
		m.Links = append(m.Links, link)
	}
	return m, nil
}

// HasNames says whether the container asks urun's name server for names:
// it is on a network other than the default one, where Docker's
// containers resolve each other's names.
func (m Mode) HasNames() bool {
	for _, a := range m.Networks {
		if a.Name != DefaultNetwork {
			return true
		}
	}
	return false
}

// NetworkNames are the names of the networks of a KindNetworks mode.
func (m Mode) NetworkNames() []string {
	var names []string
	for _, a := range m.Networks {
		names = append(names, a.Name)
	}
	return names
}

// SlirpOptions are the options of slirp4netns networking, named as podman
// names them.
type SlirpOptions struct {
	// AllowHostLoopback lets the container reach the host's 127.0.0.1
	// through the gateway address (10.0.2.2).
	AllowHostLoopback bool
	MTU               int
	// CIDR is the IPv4 network of the container's tap0; the gateway is its
	// .2, the DNS forwarder .3, the container .100.
	CIDR string
	// OutboundAddr and OutboundAddr6 are an address or interface name the
	// container's outgoing connections leave from.
	OutboundAddr, OutboundAddr6 string
	EnableIPv6                  bool
	// PortHandler is "rootlesskit" (the default: rootlesskit's builtin
	// port driver, which keeps the client's source address out but is
	// fast) or "slirp4netns" (slirp4netns's own forwarding, IPv4 only).
	PortHandler string
}

// slirpOptionNames are the options ParseMode knows, for its error.
const slirpOptionNames = "allow_host_loopback, mtu, cidr, outbound_addr, outbound_addr6, enable_ipv6, port_handler"

// ParseMode parses a --network value. An empty value means the default:
// slirp4netns. Any other name is one of urun's networks ("bridge", the
// default one, or one made with `urun network create`), which the caller
// checks exists.
func ParseMode(s string) (Mode, error) {
	kind, opts, hasOpts := strings.Cut(s, ":")
	switch kind {
	case "", KindSlirp4netns:
		if kind != KindSlirp4netns && hasOpts {
			return Mode{}, fmt.Errorf("--network %s takes no options: give them to slirp4netns (slirp4netns:OPTIONS)", kind)
		}
		so, err := parseSlirpOptions(opts)
		if err != nil {
			return Mode{}, err
		}
		return Mode{Kind: KindSlirp4netns, Slirp: so}, nil
	case KindPasta:
		var args []string
		if opts != "" {
			args = strings.Split(opts, ",")
		}
		if err := checkPastaArgs(args); err != nil {
			return Mode{}, err
		}
		return Mode{Kind: KindPasta, PastaArgs: args}, nil
	case KindNone, KindHost:
		if hasOpts {
			return Mode{}, fmt.Errorf("--network %s takes no options", kind)
		}
		return Mode{Kind: kind}, nil
	case KindContainer:
		if opts == "" {
			return Mode{}, fmt.Errorf("--network container: name the container: container:NAME")
		}
		return Mode{Kind: KindContainer, Container: opts}, nil
	case "ns", "private":
		return Mode{}, fmt.Errorf("--network %s is not supported: use a network's name, slirp4netns[:OPTIONS], pasta[:ARGS], container:NAME, none or host", kind)
	}
	if hasOpts || !validName(s) {
		return Mode{}, fmt.Errorf("--network %q: unknown network mode: use a network's name (see 'urun network ls'), slirp4netns[:OPTIONS] (the default), pasta[:ARGS], container:NAME, none or host", s)
	}
	return Mode{Kind: KindNetworks, Networks: []Attachment{{Name: s}}}, nil
}

func parseSlirpOptions(s string) (SlirpOptions, error) {
	o := SlirpOptions{MTU: DefaultMTU, CIDR: DefaultCIDR, PortHandler: PortHandlerRootlesskit}
	if s == "" {
		return o, nil
	}
	for _, kv := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return o, fmt.Errorf("slirp4netns option %q: want NAME=VALUE (options: %s)", kv, slirpOptionNames)
		}
		var err error
		switch key {
		case "allow_host_loopback":
			o.AllowHostLoopback, err = parseBool(key, value)
		case "enable_ipv6":
			o.EnableIPv6, err = parseBool(key, value)
		case "mtu":
			o.MTU, err = strconv.Atoi(value)
			// 68 is IPv4's minimum, 65521 slirp4netns's maximum.
			if err != nil || o.MTU < 68 || o.MTU > 65521 {
				err = fmt.Errorf("slirp4netns option mtu=%s: want a number from 68 to 65521", value)
			}
		case "cidr":
			o.CIDR, err = parseCIDR(value)
		case "outbound_addr":
			o.OutboundAddr, err = parseOutbound(key, value, false)
		case "outbound_addr6":
			o.OutboundAddr6, err = parseOutbound(key, value, true)
		case "port_handler":
			if value != PortHandlerRootlesskit && value != PortHandlerSlirp4netns {
				err = fmt.Errorf("slirp4netns option port_handler=%s: want rootlesskit or slirp4netns", value)
			}
			o.PortHandler = value
		default:
			err = fmt.Errorf("unknown slirp4netns option %q: the options are %s", key, slirpOptionNames)
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func parseBool(key, value string) (bool, error) {
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("slirp4netns option %s=%s: want true or false", key, value)
	}
	return b, nil
}

// parseCIDR accepts an IPv4 network small enough to hold .100, the
// container's address, and returns it with the host bits cleared.
func parseCIDR(value string) (string, error) {
	_, n, err := net.ParseCIDR(value)
	if err != nil || n.IP.To4() == nil {
		return "", fmt.Errorf("slirp4netns option cidr=%s: want an IPv4 network such as %s", value, DefaultCIDR)
	}
	if ones, _ := n.Mask.Size(); ones > 25 {
		return "", fmt.Errorf("slirp4netns option cidr=%s: the prefix may be at most /25, to hold the container's address (.100)", value)
	}
	return n.String(), nil
}

func parseOutbound(key, value string, v6 bool) (string, error) {
	if ip := net.ParseIP(value); ip != nil {
		if (ip.To4() == nil) != v6 {
			want := "IPv4"
			if v6 {
				want = "IPv6"
			}
			return "", fmt.Errorf("slirp4netns option %s=%s: want an %s address or an interface name", key, value, want)
		}
		return value, nil
	}
	// Interface names are at most 15 bytes (IFNAMSIZ - 1).
	if value == "" || len(value) > 15 || strings.ContainsAny(value, "/: \t") {
		return "", fmt.Errorf("slirp4netns option %s=%s: want an address or an interface name", key, value)
	}
	return value, nil
}

// pastaOwnArgs are pasta options urun sets itself; given in pasta:ARGS
// they would take the namespace or the process out of urun's hands.
var pastaOwnArgs = map[string]string{
	"--netns":      "urun joins pasta to the container's network namespace",
	"--userns":     "urun joins pasta to the container's user namespace",
	"--netns-only": "pasta must join the container's user namespace",
	"-f":           "urun runs pasta in the foreground to stop it with the container",
	"--foreground": "urun runs pasta in the foreground to stop it with the container",
	"-P":           "urun uses the pid file to learn when pasta is ready",
	"--pid":        "urun uses the pid file to learn when pasta is ready",
}

func checkPastaArgs(args []string) error {
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if why, ok := pastaOwnArgs[name]; ok {
			return fmt.Errorf("pasta option %s cannot be given: %s", name, why)
		}
	}
	return nil
}

// OwnNetNS reports whether the container gets its own network namespace:
// every mode but host and container:NAME.
func (m Mode) OwnNetNS() bool { return m.Kind != KindHost && m.Kind != KindContainer }

// Connected reports whether the container's namespace is connected by a
// helper (slirp4netns or pasta) that New and Attach start, or to urun's
// networks.
func (m Mode) Connected() bool {
	return m.Kind == KindSlirp4netns || m.Kind == KindPasta || m.Kind == KindNetworks
}
