package client

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/network"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
	"github.com/urun/urun/usernet"
)

// HolderBinary is the holder's program (cmd/urun-netholder), installed
// beside urun: small, so that the first container of a network does not
// wait for the start of a big one.
const HolderBinary = "urun-netholder"

// readyTimeout bounds the holder's and slirp4netns's start: each is ready
// in milliseconds when it works.
const readyTimeout = 10 * time.Second

// startingHolder is a holder whose namespaces exist (a container may
// nest in them already) while its Go code, its uplink and its move to a
// scope of its own finish: ready says how that ended.
type startingHolder struct {
	pid   int
	ready chan error
}

// startHolder starts a holder: in new namespaces, or in those a killed
// holder left to the containers still attached. It returns once the
// holder's namespaces exist; the rest goes on in the background: the
// holder's own start, and the uplink, slirp4netns, which ends when the
// holder does (its --exit-fd is a pipe only the holder writes to). Called
// under the networks' lock, which the caller keeps until ready.
func startHolder(dir string) (*startingHolder, error) {
	st, err := usernet.ReadState(dir)
	if err != nil {
		// A damaged record describes nothing usable.
		st = usernet.State{}
	}
	endHolder(st.HolderPID)
	create, recovered, err := holderNamespaces(dir, st)
	if err != nil {
		return nil, err
	}
	defer closeFiles(create.UserNS, create.NetNS)
	binary, err := helper.Find(HolderBinary, "the network holder")
	if err != nil {
		return nil, err
	}
	slirp, err := network.FindHelper(network.KindSlirp4netns)
	if err != nil {
		return nil, err
	}
	exitR, exitW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create the uplink's exit pipe: %w", err)
	}
	p, err := launchHolder(dir, binary, create, recovered, exitW)
	exitW.Close()
	if err != nil {
		exitR.Close()
		return nil, err
	}
	// The stage went on in a child (Daemonize); the process started here
	// exits at once. The child says its pid once its namespaces exist.
	p.Cmd.Wait()
	m, err := stage.Expect(p.Socket, stage.InitPID)
	if err == nil {
		m.Text = strings.TrimSpace(m.Text)
	}
	holderPID, convErr := strconv.Atoi(m.Text)
	if err != nil || convErr != nil {
		p.Socket.Close()
		exitR.Close()
		return nil, fmt.Errorf("start the network holder: %v%s", errors.Join(err, convErr), logTail(usernet.LogPath(dir)))
	}
	trace.Mark("host", "network holder's namespaces made")
	h := &startingHolder{pid: holderPID, ready: make(chan error, 1)}
	go func() {
		defer p.Socket.Close()
		defer exitR.Close()
		err := finishHolder(p, dir, slirp, holderPID, exitR)
		if err != nil {
			unix.Kill(holderPID, unix.SIGKILL)
		}
		h.ready <- err
	}()
	return h, nil
}

// launchHolder starts the holder's stage, its log as its output, in a
// session of its own (no terminal's signals, no caller's process group),
// with the uplink's exit pipe.
func launchHolder(dir, binary string, create stage.Create, recovered bool, exitW *os.File) (*stage.Process, error) {
	cmd := stage.CommandOf(binary, stage.NetHolder)
	cmd.ExtraFiles = []*os.File{exitW}
	log, err := os.OpenFile(usernet.LogPath(dir), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the network holder's log: %w", err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
	p, err := stage.Start(cmd, create, usernet.HolderRequest{Dir: dir, Recovered: recovered})
	if err != nil {
		return nil, fmt.Errorf("start the network holder: %w", err)
	}
	if err := p.Continue(); err != nil {
		return nil, fmt.Errorf("start the network holder: %w", err)
	}
	return p, nil
}

// finishHolder starts the uplink while the holder's Go code starts, waits
// for both, and moves them out of this command's systemd unit.
func finishHolder(p *stage.Process, dir, slirp string, holderPID int, exitR *os.File) error {
	type uplink struct {
		pid int
		err error
	}
	uplinkDone := make(chan uplink, 1)
	go func() {
		pid, err := startUplink(slirp, dir, holderPID, exitR)
		uplinkDone <- uplink{pid, err}
	}()
	err := waitStarted(p)
	up := <-uplinkDone
	if err == nil {
		err = up.err
	}
	if err != nil {
		return err
	}
	trace.Mark("host", "network holder and uplink started")
	unit := fmt.Sprintf("urun-network-holder-%d.scope", holderPID)
	if err := cgroupv2.MoveToOwnScope(unit, "urun's network holder", holderPID, up.pid); err != nil {
		return fmt.Errorf("move the network holder out of this command's unit: %w", err)
	}
	return nil
}

// holderNamespaces says where the holder starts: in a user and network
// namespace of its own, or, when containers of a killed holder still run,
// in theirs.
func holderNamespaces(dir string, st usernet.State) (stage.Create, bool, error) {
	for _, c := range st.Containers {
		if !usernet.WaiterAlive(c.WaiterPID, st.UserNS) {
			continue
		}
		userns, err := usernet.ParentUserNS(c.WaiterPID)
		if err != nil {
			continue
		}
		netns, err := usernet.OpenKeptNetNS(c.WaiterPID, c.KeepFD)
		if err != nil {
			userns.Close()
			continue
		}
		return stage.Create{UserNS: userns, NetNS: netns, Outlive: true, Daemonize: true}, true, nil
	}
	// Nothing of the old namespaces runs: its record is history.
	if err := os.Remove(usernet.StatePath(dir)); err != nil && !os.IsNotExist(err) {
		return stage.Create{}, false, fmt.Errorf("remove the networks' old state: %w", err)
	}
	mappings, err := idmap.ForCurrentCaller()
	if err != nil {
		return stage.Create{}, false, err
	}
	return stage.Create{Mappings: mappings, Unshare: unix.CLONE_NEWNET, Outlive: true, Daemonize: true}, false, nil
}

// endHolder kills a holder that runs but does not answer.
func endHolder(pid int) {
	if pid > 0 && holderAlive(pid) {
		unix.Kill(pid, unix.SIGKILL)
	}
}

func closeFiles(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// waitStarted waits for the holder's Started, which it says once its
// socket listens.
func waitStarted(p *stage.Process) error {
	got := make(chan error, 1)
	go func() {
		_, err := stage.Expect(p.Socket, stage.Started)
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			return fmt.Errorf("start the network holder: %w", err)
		}
		return nil
	case <-time.After(readyTimeout):
		return fmt.Errorf("start the network holder: it was not ready after %v", readyTimeout)
	}
}

// startUplink starts slirp4netns on the holder's network namespace, waits
// until it configured tap0, and returns its pid. It ends once exitR, whose
// write end the holder alone holds, reads end of file.
func startUplink(slirp, dir string, holderPID int, exitR *os.File) (int, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("create the uplink's ready pipe: %w", err)
	}
	defer readyR.Close()
	pidR, pidW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return 0, fmt.Errorf("create the uplink's pid pipe: %w", err)
	}
	defer pidR.Close()
	// Through setsid --fork: slirp4netns must be nobody's child either
	// (see stage.Create.Daemonize). The shell tells its pid, which
	// slirp4netns's becomes.
	args := append([]string{"--fork", "sh", "-c", `echo $$ >&5; exec "$@" 5>&-`, "sh", slirp}, network.UplinkArgs(holderPID)...)
	cmd := exec.Command("setsid", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: network.OwnMountNamespaceForRoot()}
	cmd.ExtraFiles = []*os.File{readyW, exitR, pidW}
	log, err := os.OpenFile(usernet.UplinkLogPath(dir), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		readyW.Close()
		pidW.Close()
		return 0, fmt.Errorf("open the uplink's log: %w", err)
	}
	defer log.Close()
	cmd.Stderr = log
	err = cmd.Run()
	readyW.Close()
	pidW.Close()
	if err != nil {
		return 0, fmt.Errorf("start slirp4netns for the networks: %w", err)
	}
	type ready struct {
		pid int
		ok  bool
	}
	got := make(chan ready, 1)
	go func() {
		line, _ := bufio.NewReader(pidR).ReadString('\n')
		pid, _ := strconv.Atoi(strings.TrimSpace(line))
		buf := make([]byte, 1)
		n, _ := readyR.Read(buf)
		got <- ready{pid, n == 1 && buf[0] == '1' && pid > 0}
	}()
	select {
	case r := <-got:
		if r.ok {
			return r.pid, nil
		}
	case <-time.After(readyTimeout):
	}
	// It ends with the holder, which the caller kills.
	return 0, fmt.Errorf("start slirp4netns for the networks: it failed%s", logTail(usernet.UplinkLogPath(dir)))
}
