// Command urun-testbed starts what hack/bench/ measures against: a local
// registry on 127.0.0.1 holding the integration suite's fixture images, and
// optionally the busybox fixture unpacked into a directory (for bwrap) and
// an image holding the host's iperf3 (for the network benchmark).
//
//	urun-testbed -dir DIR [-rootfs DIR] [-iperf3 PROGRAM] [-big] [-ready FILE]
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
//	BIG=127.0.0.1:PORT/test/big:latest   (with -big: testbed.BuildBig's image)
//	BIG_LAYERS=N BIG_LAYER_SIZES=BYTES,… BIG_COMPRESSED=BYTES BIG_UNPACKED=BYTES   (with -big;
//	                           sizes compressed, bottom layer first; UNPACKED: its generated files)
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
	big := flag.Bool("big", false, "also push test/big:latest, the multi-layer image of about 100 MB the pull benchmark pulls")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s -dir DIR [-rootfs DIR] [-iperf3 PROGRAM] [-big] [-ready FILE]\n", os.Args[0])
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
	if *big {
		img, err := testbed.BuildBig(fixtures.Busybox)
		if err != nil {
			return fail("build the big image: %v", err)
		}
		if err := reg.Push(img.Image); err != nil {
			return fail("push %s: %v", img.Name(), err)
		}
		var compressed int
		var sizes []string
		for _, l := range img.Layers {
			compressed += len(l.Data)
			sizes = append(sizes, fmt.Sprint(len(l.Data)))
		}
		lines = append(lines, "BIG="+reg.Ref(img.Image), fmt.Sprintf("BIG_LAYERS=%d", len(img.Layers)),
			"BIG_LAYER_SIZES="+strings.Join(sizes, ","),
			fmt.Sprintf("BIG_COMPRESSED=%d", compressed), fmt.Sprintf("BIG_UNPACKED=%d", img.Unpacked))
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
