package network

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// PortMapping is one published port: -p/--publish.
type PortMapping struct {
	// HostIP is the host address to listen on; "" listens on all of them
	// (IPv4 and IPv6), as Docker does.
	HostIP string
	// HostPort is the host's port; 0 picks a free one.
	HostPort int
	// HostPortEnd, when set, makes HostPort..HostPortEnd a range to pick
	// one free port from: Docker's "8000-8010:80".
	HostPortEnd   int
	ContainerPort int
	// Proto is "tcp" or "udp".
	Proto string
}

// String is the mapping as Docker prints it: "0.0.0.0:8080->80/tcp".
func (p PortMapping) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	host := strconv.Itoa(p.HostPort)
	if p.HostPortEnd != 0 {
		host += "-" + strconv.Itoa(p.HostPortEnd)
	}
	return fmt.Sprintf("%s->%d/%s", net.JoinHostPort(ip, host), p.ContainerPort, p.Proto)
}

// key identifies the host side of a mapping, to find duplicates.
func (p PortMapping) key() string {
	return net.JoinHostPort(p.HostIP, strconv.Itoa(p.HostPort)) + "/" + p.Proto
}

// ParsePublish parses one -p/--publish value in Docker's forms:
// [IP:][HOSTPORT:]CONTAINERPORT[/PROTO], where ports may be ranges
// ("8000-8002:80-82"), IP may be IPv6 in brackets ("[::1]:8080:80") and an
// empty or missing host port picks a free one ("127.0.0.1::80", "80").
func ParsePublish(spec string) ([]PortMapping, error) {
	rest, proto, hasProto := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	switch {
	case !hasProto:
		proto = "tcp"
	case proto == "tcp" || proto == "udp":
	case proto == "sctp":
		return nil, fmt.Errorf("-p %s: sctp cannot be published rootless: use tcp or udp", spec)
	default:
		return nil, fmt.Errorf("-p %s: unknown protocol %q: use tcp or udp", spec, proto)
	}
	// Docker's split: the last part is the container's port, the one
	// before it the host's, everything before that the address (which
	// may hold colons of its own when IPv6 is given without brackets).
	parts := strings.Split(rest, ":")
	n := len(parts)
	var ip, hostPart string
	containerPart := parts[n-1]
	switch n {
	case 1:
	case 2:
		hostPart = parts[0]
	default:
		ip = strings.Join(parts[:n-2], ":")
		hostPart = parts[n-2]
	}
	if strings.HasPrefix(ip, "[") && strings.HasSuffix(ip, "]") {
		ip = ip[1 : len(ip)-1]
	}
	if ip != "" {
		parsed := net.ParseIP(ip)
		if parsed == nil {
			return nil, fmt.Errorf("-p %s: %q is not an IP address", spec, ip)
		}
		ip = parsed.String()
	}
	cLow, cHigh, err := parsePortRange(containerPart, false)
	if err != nil {
		return nil, fmt.Errorf("-p %s: container port: %w", spec, err)
	}
	hLow, hHigh := 0, 0
	if hostPart != "" {
		if hLow, hHigh, err = parsePortRange(hostPart, true); err != nil {
			return nil, fmt.Errorf("-p %s: host port: %w", spec, err)
		}
	}
	cCount := cHigh - cLow + 1
	var out []PortMapping
	switch {
	case hostPart == "" || hLow == 0:
		for p := cLow; p <= cHigh; p++ {
			out = append(out, PortMapping{HostIP: ip, ContainerPort: p, Proto: proto})
		}
	case cCount == 1 && hHigh > hLow:
		// Docker: one container port, a range of host ports to pick from.
		out = append(out, PortMapping{HostIP: ip, HostPort: hLow, HostPortEnd: hHigh, ContainerPort: cLow, Proto: proto})
	case hHigh-hLow+1 != cCount:
		return nil, fmt.Errorf("-p %s: the host range %s has %d ports but the container range %s has %d: give ranges of the same length", spec, hostPart, hHigh-hLow+1, containerPart, cCount)
	default:
		for i := 0; i < cCount; i++ {
			out = append(out, PortMapping{HostIP: ip, HostPort: hLow + i, ContainerPort: cLow + i, Proto: proto})
		}
	}
	return out, nil
}

// parsePortRange parses "80" or "8000-8010". Zero is allowed only for the
// host side, where it means "pick one".
func parsePortRange(s string, zeroOK bool) (int, int, error) {
	lowS, highS, isRange := strings.Cut(s, "-")
	low, err := parsePort(lowS, zeroOK && !isRange)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return low, low, nil
	}
	high, err := parsePort(highS, false)
	if err != nil {
		return 0, 0, err
	}
	if high < low {
		return 0, 0, fmt.Errorf("range %s ends before it starts", s)
	}
	return low, high, nil
}

func parsePort(s string, zeroOK bool) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 || (p == 0 && !zeroOK) {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return p, nil
}

// PublishAll is -P: every port the image EXPOSEs ("80/tcp", "53/udp",
// "8000-8002/tcp") published to a free host port, in port order. Entries
// that are not ports are skipped: the image is someone else's, and Docker
// ignores what it cannot publish.
func PublishAll(exposed map[string]struct{}) []PortMapping {
	var out []PortMapping
	for e := range exposed {
		ms, err := ParsePublish(e)
		if err != nil {
			continue
		}
		out = append(out, ms...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Proto < out[j].Proto
	})
	return out
}
