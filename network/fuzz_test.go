package network

import "testing"

// Every mapping -p accepts has ports in range, a known protocol and a
// host port range no shorter than the container's.
func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1::80/udp", "[::1]:8080:80", "8000-8002:80-82", "0:80", "65536:80", "a:b:c:d", "80/sctp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		maps, err := ParsePublish(spec)
		if err != nil {
			return
		}
		if len(maps) == 0 {
			t.Fatalf("%q: accepted with no mapping", spec)
		}
		for _, m := range maps {
			if m.ContainerPort < 1 || m.ContainerPort > 65535 || m.HostPort < 0 || m.HostPort > 65535 || m.HostPortEnd > 65535 {
				t.Fatalf("%q: port out of range in %+v", spec, m)
			}
			if m.Proto != "tcp" && m.Proto != "udp" {
				t.Fatalf("%q: protocol %q", spec, m.Proto)
			}
		}
	})
}
