package test

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
// stdout, and answers each datagram with "echo PAYLOAD from PEER-IP",
// after printing "got PAYLOAD from PEER-IP" on stdout. It
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
	if len(args) >= 2 && args[0] == "try" {
		fmt.Println(trySyscall(args[1:]))
		return 0
	}
	if len(args) == 1 && args[0] == "creds" {
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		capEff := ""
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
				capEff = strings.TrimSpace(v)
			}
		}
		fmt.Printf("euid %d CapEff %s\n", os.Geteuid(), capEff)
		return 0
	}
	if len(args) >= 3 && args[0] == "drop-to" {
		if err := dropTo(args[1], args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "%s drop-to: %v\n", helperName, err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "usage: %s udp-echo PORT | try keyctl|add_key|ptrace PID | creds | drop-to UID PROGRAM [ARG...]\n", helperName)
	return 2
}

// trySyscall makes one system call the confinement tests expect to be
// refused and says "allowed" or "refused: ERROR".
func trySyscall(args []string) string {
	var err error
	switch args[0] {
	case "keyctl":
		_, err = unix.KeyctlJoinSessionKeyring("urun-test")
	case "add_key":
		_, err = unix.AddKey("user", "urun-test", []byte("x"), unix.KEY_SPEC_PROCESS_KEYRING)
	case "ptrace":
		pid, convErr := strconv.Atoi(args[1])
		if convErr != nil {
			return "bad pid " + args[1]
		}
		if err = unix.PtraceAttach(pid); err == nil {
			_ = unix.PtraceDetach(pid)
		}
	default:
		return "unknown call " + args[0]
	}
	if err != nil {
		return "refused: " + err.Error()
	}
	return "allowed"
}

// dropTo switches to uid (and gid) with no supplementary groups and
// execs the program: how the tests run a setuid program as a user
// without a password or su.
func dropTo(uid string, argv []string) error {
	id, err := strconv.Atoi(uid)
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	if err := unix.Setgroups(nil); err != nil {
		return err
	}
	if err := unix.Setresgid(id, id, id); err != nil {
		return err
	}
	if err := unix.Setresuid(id, id, id); err != nil {
		return err
	}
	return unix.Exec(argv[0], argv, os.Environ())
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
		fmt.Printf("got %s from %s\n", buf[:n], ip)
		if _, err := pc.WriteTo(fmt.Appendf(nil, "echo %s from %s", buf[:n], ip), peer); err != nil {
			fmt.Fprintf(os.Stderr, "%s udp-echo: reply to %s: %v\n", helperName, peer, err)
		}
	}
}
