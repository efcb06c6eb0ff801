package holder

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netns"

	"github.com/urun/urun/usernet"
)

// NameServerAddress is where a container on a network with names asks
// them, as in Docker: the holder listens there inside the container's own
// network namespace, so each query comes with the asker's identity.
const NameServerAddress = "127.0.0.11:53"

// upstream is slirp4netns's DNS forwarder, reached through the uplink.
const upstream = "10.0.2.3:53"

// nameServer answers one container's queries.
type nameServer struct {
	udp, tcp *dns.Server
}

// serveNames starts the name server in the network namespace of the
// container's waiter. Called with mu held.
func (h *holder) serveNames(id string, waiterPID int) error {
	pc, ln, err := listenIn(waiterPID)
	if err != nil {
		return fmt.Errorf("start the container's name server: %w", err)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) { h.answer(id, w, q) })
	s := &nameServer{
		udp: &dns.Server{PacketConn: pc, Handler: handler},
		tcp: &dns.Server{Listener: ln, Handler: handler},
	}
	go s.udp.ActivateAndServe()
	go s.tcp.ActivateAndServe()
	h.dns[waiterPID] = s
	return nil
}

func (s *nameServer) stop() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

// listenIn opens the name server's sockets in the network namespace of
// pid: a socket stays in the namespace it was made in.
func listenIn(pid int) (net.PacketConn, net.Listener, error) {
	target, err := netns.GetFromPath(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, nil, err
	}
	defer target.Close()
	runtime.LockOSThread()
	own, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, nil, err
	}
	defer own.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return nil, nil, err
	}
	pc, err := net.ListenPacket("udp4", NameServerAddress)
	var ln net.Listener
	if err == nil {
		if ln, err = net.Listen("tcp4", NameServerAddress); err != nil {
			pc.Close()
		}
	}
	// A thread that cannot go back stays locked, and ends with its
	// goroutine.
	if netns.Set(own) == nil {
		runtime.UnlockOSThread()
	}
	return pc, ln, err
}

// answer answers a query of container id: names of containers that share
// a network with names with it (their names, aliases and short ids), its
// links; other names go upstream, unless it is only on internal
// networks.
func (h *holder) answer(id string, w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	if len(q.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	question := q.Question[0]
	name := strings.ToLower(strings.TrimSuffix(question.Name, "."))
	ips, known, outside, upstreams := h.lookup(id, name)
	if known {
		for _, ip := range ips {
			hdr := dns.RR_Header{Name: question.Name, Rrtype: question.Qtype, Class: dns.ClassINET, Ttl: 600}
			switch {
			case question.Qtype == dns.TypeA && ip.Is4():
				m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: ip.AsSlice()})
			case question.Qtype == dns.TypeAAAA && ip.Is6():
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()})
			}
		}
		w.WriteMsg(m)
		return
	}
	// A name of one label is a container's or nothing: asking the world
	// for it only costs time.
	if !strings.Contains(name, ".") || !outside {
		m.Rcode = dns.RcodeNameError
		w.WriteMsg(m)
		return
	}
	network := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		network = "tcp"
	}
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	for _, server := range upstreams {
		if r, _, err := c.Exchange(q, server); err == nil {
			w.WriteMsg(r)
			return
		}
	}
	m.Rcode = dns.RcodeServerFailure
	w.WriteMsg(m)
}

// lookup finds name for container id: its addresses, whether the name is
// known, whether the container may ask the world (it is on a network that
// is not internal), and whom to ask.
func (h *holder) lookup(id, name string) ([]netip.Addr, bool, bool, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	mine := map[string]bool{}
	outside := false
	for _, e := range h.endpointsOf(id) {
		spec := h.state.Networks[e.Network]
		if spec.Names {
			mine[e.Network] = true
		}
		outside = outside || !spec.Internal
	}
	c := h.state.Containers[id]
	target := ""
	for alias, to := range c.Links {
		if strings.EqualFold(alias, name) {
			target = strings.ToLower(to)
		}
	}
	var ips []netip.Addr
	for _, e := range h.state.Endpoints {
		if !mine[e.Network] {
			continue
		}
		if target != "" && strings.ToLower(e.ContainerName) == target || matches(e, name) {
			ips = append(ips, e.IP)
			if e.IP6.IsValid() {
				ips = append(ips, e.IP6)
			}
		}
	}
	upstreams := c.Upstreams
	if len(upstreams) == 0 {
		upstreams = []string{upstream}
	}
	return ips, len(ips) > 0, outside, upstreams
}

// matches says whether name is the endpoint's container's name, short
// id, or one of its aliases on that network.
func matches(e usernet.Endpoint, name string) bool {
	if strings.ToLower(e.ContainerName) == name || len(e.ContainerID) >= 12 && e.ContainerID[:12] == name {
		return true
	}
	for _, a := range e.Aliases {
		if strings.ToLower(a) == name {
			return true
		}
	}
	return false
}
