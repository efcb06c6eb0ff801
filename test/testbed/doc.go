// Package testbed is what urun's integration suite (test/) and benchmark
// (hack/bench/, through cmd/urun-testbed) run against: Debian's
// docker-registry on 127.0.0.1 (StartRegistry), the fixture images built
// from the host's static /bin/busybox (BuildFixtures), pushed with the
// registry's HTTP API (Registry.Push), images derived from them with host
// programs and their shared libraries added (Derive: the suite's network
// helper, the benchmark's iperf3), and an image's layers unpacked into a
// plain directory for tools that take a root file system (Image.WriteRootfs).
//
// It uses only the standard library: in particular not the image library
// urun pulls with, so that a bug there cannot hide in the fixtures too.
package testbed
