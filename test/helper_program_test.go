package test

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

// The suite binary has a second life inside the network tests' containers:
// the helper image (helperRef) holds it as helperPath, and TestMain runs
// helperMain when it is started under that name. It provides what the
// busybox fixture lacks (Debian's busybox nc has no UDP).
const (
	helperName = "urun-test-helper"
	helperPath = "/usr/bin/" + helperName
)

// helperMain runs one helper command:
//
//	urun-test-helper udp-echo PORT
//
// listens on UDP port PORT of every address, prints "ready HOSTNAME" on
// stdout, and answers each datagram with "echo PAYLOAD from PEER-IP". It
// exits 0 when its stdin ends (run it with urun run -i; closing urun's
// stdin ends the container).
func helperMain(args []string) int {
	if len(args) == 2 && args[0] == "udp-echo" {
		if err := udpEcho(args[1]); err != nil {
			fmt.Fprintf(os.Stderr, "%s udp-echo: %v\n", helperName, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "usage: %s udp-echo PORT\n", helperName)
	return 2
}

func udpEcho(port string) error {
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("port %q: %w", port, err)
	}
	pc, err := net.ListenPacket("udp", ":"+port)
	if err != nil {
		return err
	}
	defer pc.Close()
	host, _ := os.Hostname()
	fmt.Printf("ready %s\n", host)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	buf := make([]byte, 64<<10)
	for {
		n, peer, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		ip := peer.String()
		if a, ok := peer.(*net.UDPAddr); ok {
			ip = a.IP.String()
		}
		if _, err := pc.WriteTo(fmt.Appendf(nil, "echo %s from %s", buf[:n], ip), peer); err != nil {
			fmt.Fprintf(os.Stderr, "%s udp-echo: reply to %s: %v\n", helperName, peer, err)
		}
	}
}
