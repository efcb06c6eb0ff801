// Command urun-testbed starts what hack/bench.sh measures against: a local
// registry on 127.0.0.1 holding the integration suite's fixture images, and
// optionally the busybox fixture unpacked into a directory (for bwrap) and
// an image holding the host's iperf3 (for the network benchmark).
//
//	urun-testbed -dir DIR [-rootfs DIR] [-iperf3 PROGRAM] [-ready FILE]
//
// Once everything is up it prints, and writes to FILE (atomically, so a
// script can poll for it), lines KEY=VALUE:
//
//	REGISTRY=127.0.0.1:PORT
//	BUSYBOX=127.0.0.1:PORT/library/busybox:latest
//	APP=127.0.0.1:PORT/test/app:latest
//	ROOTFS=DIR                 (with -rootfs)
//	IPERF3=127.0.0.1:PORT/test/iperf3:latest   (with -iperf3)
//	IPERF3_ERROR=WHY           (with -iperf3, when that image could not be built)
//
// The iperf3 image is the busybox fixture plus PROGRAM at /usr/bin/iperf3
// and the shared libraries it loads (see testbed.Derive). A failure to
// build it is reported in IPERF3_ERROR, not fatal: the start-up benchmark
// does not need it.
//
// It then serves until SIGINT or SIGTERM, stops the registry and exits 0;
// if the registry dies first it prints its log and exits 1. The registry
// dies with this process even if it is killed with SIGKILL.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urun/urun/test/testbed"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("dir", "", "directory for the registry's storage, configuration and log (required)")
	rootfs := flag.String("rootfs", "", "unpack the busybox fixture's root file system into this directory (empty or missing)")
	ready := flag.String("ready", "", "write the KEY=VALUE lines to this file once ready")
	iperf3 := flag.String("iperf3", "", "also push test/iperf3:latest, the busybox fixture with this iperf3 program and its libraries")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s -dir DIR [-rootfs DIR] [-iperf3 PROGRAM] [-ready FILE]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		flag.Usage()
		return 2
	}

	// Catch the signals before starting anything, so that a stop request
	// that arrives during set-up still stops the registry.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	fixtures, err := testbed.BuildFixtures()
	if err != nil {
		return fail("build the fixture images: %v", err)
	}
	reg, err := testbed.StartRegistry(filepath.Join(*dir, "registry"))
	if err != nil {
		return fail("start the registry: %v", err)
	}
	defer reg.Stop()
	for _, img := range fixtures.All() {
		if err := reg.Push(img); err != nil {
			return fail("push %s: %v", img.Name(), err)
		}
	}
	lines := []string{
		"REGISTRY=" + reg.Addr(),
		"BUSYBOX=" + reg.Ref(fixtures.Busybox),
		"APP=" + reg.Ref(fixtures.App),
	}
	if *iperf3 != "" {
		img, err := testbed.Derive(fixtures.Busybox, testbed.DeriveOptions{
			Repo: "test/iperf3", Tag: "latest",
			Programs:     []testbed.HostProgram{{Source: *iperf3, Target: "/usr/bin/iperf3"}},
			ExposedPorts: []string{"5201/tcp"},
		})
		if err == nil {
			err = reg.Push(img)
		}
		if err != nil {
			lines = append(lines, "IPERF3_ERROR="+strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			lines = append(lines, "IPERF3="+reg.Ref(img))
		}
	}
	if *rootfs != "" {
		abs, err := filepath.Abs(*rootfs)
		if err != nil {
			return fail("%v", err)
		}
		if err := fixtures.Busybox.WriteRootfs(abs); err != nil {
			return fail("unpack %s into %s: %v", fixtures.Busybox.Name(), abs, err)
		}
		lines = append(lines, "ROOTFS="+abs)
	}
	text := strings.Join(lines, "\n") + "\n"
	if *ready != "" {
		if err := writeAtomic(*ready, text); err != nil {
			return fail("%v", err)
		}
	}
	fmt.Print(text)

	select {
	case <-sigs:
		return 0 // the deferred Stop ends the registry
	case <-reg.Exited():
		return fail("the registry exited; its log:\n%s", reg.Log())
	}
}

func writeAtomic(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "urun-testbed: "+format+"\n", args...)
	return 1
}
