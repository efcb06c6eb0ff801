package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// networkEnv is a store with the busybox fixture whose containers and
// networks are removed after the test, also when it fails, and whose
// network holder is then waited for (its directory goes with the test's).
func networkEnv(t *testing.T) *env {
	t.Helper()
	e := containerEnv(t)
	t.Cleanup(func() {
		if ids := lines(e.urun(t, "ps", "-aq").stdout); len(ids) > 0 {
			e.urun(t, append([]string{"rm", "-f"}, ids...)...)
		}
		e.urun(t, "network", "prune", "-f")
		if left := e.networkProcesses(10 * time.Second); len(left) > 0 {
			t.Errorf("10 s after the test's containers were removed, its network processes remain (killed now):\n  %s", procList(left))
			for _, p := range left {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
	})
	return e
}

// networksDir is where the env's network holder keeps its socket and state.
func (e *env) networksDir() string { return filepath.Join(e.RunRoot(), "urun-networks") }

// holderPID is the pid of the env's network holder as its state file
// records it, 0 if there is none.
func (e *env) holderPID(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.networksDir(), "state.json"))
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	var st struct {
		HolderPID int `json:"holder_pid"`
	}
	require.NoError(t, json.Unmarshal(data, &st), "the holder's state file")
	return st.HolderPID
}

// networkProcesses waits up to d for the env's network holders and their
// uplinks to be gone, and returns those that remain.
func (e *env) networkProcesses(d time.Duration) []proc {
	holders := e.holders()
	deadline := time.Now().Add(d)
	for {
		left := networkProcessesOf(holders...)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// holders are the env's running network holders: the urun-netholder
// processes that write to its holder log. Other users of the test user
// (the lead's runs, the bench) may run holders of their own meanwhile.
func (e *env) holders() []proc {
	log := filepath.Join(e.networksDir(), "holder.log")
	var out []proc
	for _, pid := range allPIDs() {
		p, ok := readProc(pid)
		if !ok || p.state == "Z" || !isHolder(p) {
			continue
		}
		for _, fd := range []string{"1", "2"} {
			if target, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd)); target == log {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// networkProcessesOf returns those of holders that still run and every
// uplink (slirp4netns) that names one of them.
func networkProcessesOf(holders ...proc) []proc {
	var out []proc
	named := map[string]bool{}
	for _, h := range holders {
		named[strconv.Itoa(h.pid)] = true
		if p, ok := readProc(h.pid); ok && p.state != "Z" && p.start == h.start {
			out = append(out, p)
		}
	}
	if len(named) == 0 {
		return out
	}
	for _, pid := range allPIDs() {
		p, ok := readProc(pid)
		if ok && p.state != "Z" && isUplink(p) && slices.ContainsFunc(p.args, func(a string) bool { return named[a] }) {
			out = append(out, p)
		}
	}
	return out
}

func isHolder(p proc) bool { return filepath.Base(firstArg(p.args)) == "urun-netholder" }

func isUplink(p proc) bool {
	return p.comm == "slirp4netns" || filepath.Base(firstArg(p.args)) == "slirp4netns"
}

// assertNetworksLeftNothing waits up to 10 s for holders (the env's, seen
// while its containers ran) and their uplinks to end, and checks that the
// holder's socket and state are gone.
func (e *env) assertNetworksLeftNothing(t *testing.T, holders []proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var left []proc
	for {
		left = append(networkProcessesOf(holders...), e.holders()...)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Emptyf(t, left, "10 s after the last container left its network, these remain:\n  %s", procList(left))
	for _, f := range []string{"holder.sock", "state.json"} {
		_, err := os.Stat(filepath.Join(e.networksDir(), f))
		assert.Truef(t, os.IsNotExist(err), "%s is gone: %v", f, err)
	}
}

func procList(ps []proc) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "\n  ")
}

// startWeb starts a detached container NAME that serves "hello from NAME"
// on port 80 with flags (its network ones), and returns its full id.
func (e *env) startWeb(t *testing.T, name string, flags ...string) string {
	t.Helper()
	args := append(append([]string{"run", "-d", "--name", name}, flags...), busyboxRef,
		"sh", "-c", "mkdir -p /www && echo hello from "+name+" > /www/index.html && exec httpd -f -p 80 -h /www")
	id := strings.TrimSpace(e.urun(t, args...).ok(t))
	require.Regexp(t, `^[0-9a-f]{64}$`, id, "run -d prints the container's id")
	return id
}

// startSleeper starts a detached container NAME that sleeps, with flags.
func (e *env) startSleeper(t *testing.T, name string, flags ...string) {
	t.Helper()
	args := append(append([]string{"run", "-d", "--name", name}, flags...), busyboxRef, "sleep", "300")
	e.urun(t, args...).ok(t)
}

// containerIPv4 is the address of the running container's eth0, as ip
// shows it inside.
func (e *env) containerIPv4(t *testing.T, name string) string {
	t.Helper()
	out := e.urun(t, "exec", name, "ip", "-4", "-o", "addr", "show", "dev", "eth0").ok(t)
	m := regexp.MustCompile(`inet (\d+\.\d+\.\d+\.\d+)/\d+`).FindStringSubmatch(out)
	require.NotNilf(t, m, "container %s has an IPv4 address on eth0: %q", name, out)
	return m[1]
}

// fetchScript prints "== URL" and then what `wget -qO- URL` got, or
// "FAILED", for each URL; each is tried for up to tries×0.2 s more (a
// server just started may not listen yet).
func fetchScript(tries int, urls ...string) string {
	var b strings.Builder
	for _, u := range urls {
		fmt.Fprintf(&b, `echo "== %[1]s"; i=0; until timeout 2 wget -qO- %[1]s 2>/dev/null; do i=$((i+1)); if [ $i -ge %[2]d ]; then echo FAILED; break; fi; sleep 0.2; done
`, u, tries)
	}
	return b.String()
}

// lookupScript prints "== NAME" and then nslookup's output and its exit
// status ("exit N") for each name.
func lookupScript(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "echo '== %[1]s'; nslookup %[1]s 2>&1; echo \"exit $?\"\n", n)
	}
	return b.String()
}

// lookupAddress is the address nslookup's output gives for the name
// asked, "" if it found none (busybox prints the server's address first,
// then "Name: ..." and the answers).
func lookupAddress(out string) string {
	_, answers, ok := strings.Cut(out, "Name:")
	if !ok {
		return ""
	}
	m := regexp.MustCompile(`Address(?: \d+)?:\s+(\d+\.\d+\.\d+\.\d+)`).FindStringSubmatch(answers)
	if m == nil {
		return ""
	}
	return m[1]
}

// lookupFailed says whether nslookup's output (with lookupScript's exit
// line) tells of a name that does not exist.
func lookupFailed(out string) bool {
	return !strings.Contains(out, "exit 0") &&
		(strings.Contains(out, "NXDOMAIN") || strings.Contains(out, "can't find") || strings.Contains(out, "can't resolve"))
}

func TestContainersOnANetworkReachEachOtherByNameAliasIPAndShortID(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "appnet").ok(t)
	id := e.startWeb(t, "web", "--network", "appnet", "--network-alias", "www")
	ip := e.containerIPv4(t, "web")

	cases := []struct{ how, host string }{
		{"name", "web"},
		{"alias", "www"},
		{"IP", ip},
		{"short id", id[:12]},
	}
	var urls []string
	for _, c := range cases {
		urls = append(urls, "http://"+c.host+"/")
	}
	out := e.urun(t, "run", "--rm", "--network", "appnet", busyboxRef, "sh", "-c",
		"cat /etc/resolv.conf\n"+fetchScript(50, urls...)).ok(t)
	got := sections(out)
	rc := parseResolvConf(got[""])
	assert.Equal(t, []string{"127.0.0.11"}, rc.nameservers, "the container asks urun's name server")
	assert.Contains(t, rc.options, "ndots:0")
	for _, c := range cases {
		assert.Equalf(t, "hello from web\n", got["http://"+c.host+"/"], "wget of web by %s (%s)", c.how, c.host)
	}
}

func TestANameOnAnotherNetworkDoesNotResolveAndItsIPIsUnreachable(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "front").ok(t)
	e.urun(t, "network", "create", "back").ok(t)
	e.startWeb(t, "web", "--network", "front")
	ip := e.containerIPv4(t, "web")

	// From its own network both work: what fails below fails because of
	// the network, not the server.
	own := sections(e.urun(t, "run", "--rm", "--network", "front", busyboxRef, "sh", "-c",
		lookupScript("web")+fetchScript(50, "http://"+ip+"/")).ok(t))
	assert.Equal(t, ip, lookupAddress(own["web"]), "web resolves on its own network")
	assert.Equal(t, "hello from web\n", own["http://"+ip+"/"])

	other := sections(e.urun(t, "run", "--rm", "--network", "back", busyboxRef, "sh", "-c",
		lookupScript("web")+fetchScript(1, "http://"+ip+"/")).ok(t))
	assert.Truef(t, lookupFailed(other["web"]), "nslookup web on the other network says NXDOMAIN: %q", other["web"])
	assert.Equal(t, "FAILED\n", other["http://"+ip+"/"], "web's IP from the other network")
}

func TestLinkOnTheDefaultBridgeResolvesOnlyInTheLinkingContainer(t *testing.T) {
	e := networkEnv(t)
	e.startWeb(t, "db", "--network", "bridge")
	ip := e.containerIPv4(t, "db")

	linking := sections(e.urun(t, "run", "--rm", "--network", "bridge", "--link", "db:alias", busyboxRef, "sh", "-c",
		"echo '== hosts'; cat /etc/hosts\n"+fetchScript(50, "http://alias/", "http://db/")).ok(t))
	hosts := hostsEntries(linking["hosts"])
	assert.Equal(t, []string{ip}, hosts["alias"], "/etc/hosts of the linking container:\n%s", linking["hosts"])
	assert.Equal(t, []string{ip}, hosts["db"], "the link's container name too, as in Docker")
	assert.Equal(t, "hello from db\n", linking["http://alias/"])
	assert.Equal(t, "hello from db\n", linking["http://db/"])

	// A third container on bridge reaches db by IP only.
	third := sections(e.urun(t, "run", "--rm", "--network", "bridge", busyboxRef, "sh", "-c",
		"echo '== hosts'; cat /etc/hosts\n"+fetchScript(50, "http://"+ip+"/")).ok(t))
	hosts = hostsEntries(third["hosts"])
	assert.NotContains(t, hosts, "alias", "/etc/hosts of a container without the link:\n%s", third["hosts"])
	assert.NotContains(t, hosts, "db")
	assert.Equal(t, "hello from db\n", third["http://"+ip+"/"], "containers on bridge reach each other by IP")
}

func TestNetworkRmIsRefusedWhileAContainerIsOnIt(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "busy").ok(t)
	e.startSleeper(t, "holdsit", "--network", "busy")

	res := e.urun(t, "network", "rm", "busy")
	assert.NotEqual(t, 0, res.code, "network rm of a network in use: %s", res.describe())
	assert.Contains(t, res.stderr, "holdsit", "the refusal names the container")
	assert.Contains(t, lines(e.urun(t, "network", "ls", "--format", "{{.Name}}").ok(t)), "busy")

	e.urun(t, "rm", "-f", "holdsit").ok(t)
	assert.Equal(t, "busy\n", e.urun(t, "network", "rm", "busy").ok(t))
	assert.NotContains(t, lines(e.urun(t, "network", "ls", "--format", "{{.Name}}").ok(t)), "busy")
}

func TestTwentyContainersOnANetworkResolveEachOther(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "crowd").ok(t)
	var names []string
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("c%02d", i)
		e.startSleeper(t, name, "--network", "crowd")
		names = append(names, name)
	}
	// From the first and the last one started, and from a newcomer.
	for _, run := range [][]string{
		{"exec", "c01"},
		{"exec", "c20"},
		{"run", "--rm", "--network", "crowd", busyboxRef},
	} {
		out := sections(e.urun(t, append(slices.Clone(run), "sh", "-c", lookupScript(names...))...).ok(t))
		addrs := map[string]bool{}
		for _, n := range names {
			addr := lookupAddress(out[n])
			assert.NotEmptyf(t, addr, "%v: nslookup %s: %q", run, n, out[n])
			addrs[addr] = true
		}
		assert.Lenf(t, addrs, len(names), "%v: twenty names, twenty addresses", run)
	}
}

func TestKilledHolderKeepsTrafficByIPAndTheNextRunBringsNamesBack(t *testing.T) {
	hostURL := hostHTTPServer(t)
	e := networkEnv(t)
	e.urun(t, "network", "create", "sturdy").ok(t)
	e.startWeb(t, "web", "--network", "sturdy")
	e.startSleeper(t, "client", "--network", "sturdy")
	ip := e.containerIPv4(t, "web")
	// check asks from client: web's name, web by IP, and (withUplink)
	// the host, which is out of reach while no uplink runs.
	check := func(what string, withUplink bool) map[string]string {
		t.Helper()
		script := lookupScript("web") + fetchScript(50, "http://"+ip+"/")
		if withUplink {
			script += fetchScript(10, hostURL)
		}
		out := e.urun(t, "exec", "client", "sh", "-c", script).ok(t)
		t.Logf("%s: %s", what, out)
		return sections(out)
	}
	before := check("before the kill", true)
	require.Equal(t, ip, lookupAddress(before["web"]))
	require.Equal(t, "hello from web\n", before["http://"+ip+"/"])
	require.Equal(t, "hello from the host\n", before[hostURL])

	holders := e.holders()
	require.Len(t, holders, 1, "one holder runs")
	holder := holders[0]
	require.Equal(t, holder.pid, e.holderPID(t), "the state file names the holder")
	require.NoError(t, syscall.Kill(holder.pid, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		now, ok := readProc(holder.pid)
		return !ok || now.state == "Z" || now.start != holder.start
	}, 5*time.Second, 20*time.Millisecond, "the holder dies of SIGKILL")

	after := check("after the kill", false)
	assert.Equal(t, "hello from web\n", after["http://"+ip+"/"], "traffic by IP goes on without the holder")
	assert.NotContains(t, after["web"], "exit 0", "no names without the holder")

	e.urun(t, "run", "--rm", "--network", "sturdy", busyboxRef, "true").ok(t)
	newHolders := e.holders()
	require.Len(t, newHolders, 1, "a new holder runs")
	assert.Equal(t, newHolders[0].pid, e.holderPID(t), "the state file names the new holder")
	again := check("after the next run", true)
	assert.Equal(t, ip, lookupAddress(again["web"]), "names resolve again in a container that ran all along")
	assert.Equal(t, "hello from web\n", again["http://"+ip+"/"])
	assert.Equal(t, "hello from the host\n", again[hostURL], "the uplink is back for a container that ran all along")
	assert.Empty(t, networkProcessesOf(holder), "the killed holder's uplink ended with it")
	assert.Len(t, networkProcessesOf(newHolders...), 2, "the new holder and one uplink of it run")
}

func TestTheLastContainerLeavingANetworkLeavesNoProcessAndNoState(t *testing.T) {
	for _, c := range []struct {
		name  string
		leave func(t *testing.T, e *env)
	}{
		{"rm -f", func(t *testing.T, e *env) { e.urun(t, "rm", "-f", "web").ok(t) }},
		{"stop", func(t *testing.T, e *env) { e.urun(t, "stop", "-t", "1", "web").ok(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := networkEnv(t)
			e.urun(t, "network", "create", "brief").ok(t)
			e.startWeb(t, "web", "--network", "brief")
			e.startSleeper(t, "other", "--network", "brief")
			e.urun(t, "rm", "-f", "other").ok(t)
			holders := e.holders()
			require.Lenf(t, holders, 1, "one holder runs while a container is on the network")
			assert.Equal(t, e.holderPID(t), holders[0].pid, "the state file names the holder")
			running := networkProcessesOf(holders...)
			require.Lenf(t, running, 2, "a holder and its uplink run for the network:\n  %s", procList(running))

			c.leave(t, e)
			e.assertNetworksLeftNothing(t, holders)
		})
	}
	t.Run("run --rm exits", func(t *testing.T) {
		e := networkEnv(t)
		e.urun(t, "network", "create", "brief").ok(t)
		ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
		defer cancel()
		cmd := e.command(ctx, "run", "--rm", "--network", "brief", busyboxRef, "sleep", "1")
		require.NoError(t, cmd.Start())
		var holders []proc
		for deadline := time.Now().Add(10 * time.Second); len(holders) == 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			holders = e.holders()
		}
		err := cmd.Wait()
		t.Logf("$ %s -> %v", shellQuote(cmd.Args), err)
		require.NoError(t, err)
		require.Len(t, holders, 1, "a holder ran while the container did")
		e.assertNetworksLeftNothing(t, holders)
	})
}

func TestBadNetworkValuesFailNamingTheFixAndLeaveNothing(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "--subnet", "10.89.0.0/24", "taken").ok(t)
	networksBefore := lines(e.urun(t, "network", "ls", "-q").ok(t))

	for _, c := range []struct {
		name string
		args []string
		// says are what the message must name: the value and the fix
		// ("a|b": either).
		says []string
	}{
		{"subnet overlapping another network's",
			[]string{"network", "create", "--subnet", "10.89.0.0/16", "overlap"}, []string{"10.89.0.0/16", "taken", "give another --subnet"}},
		{"--ip outside the subnet",
			[]string{"run", "--name", "probe", "--network", "taken", "--ip", "10.90.0.5", busyboxRef, "true"}, []string{"10.90.0.5", "10.89.0.0/24", "leave --ip out"}},
		{"unknown network",
			[]string{"run", "--name", "probe", "--network", "nosuch", busyboxRef, "true"}, []string{"nosuch", "network create|network ls"}},
		{"--network-alias without a network",
			[]string{"run", "--name", "probe", "--network-alias", "a", busyboxRef, "true"}, []string{"--network-alias", "--network"}},
		{"--network-alias on the default network",
			[]string{"run", "--name", "probe", "--network", "bridge", "--network-alias", "a", busyboxRef, "true"}, []string{"--network-alias", "network create"}},
		{"--ip without a network",
			[]string{"run", "--name", "probe", "--ip", "10.89.0.5", busyboxRef, "true"}, []string{"--ip", "--network"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.urun(t, c.args...)
			// As Docker's: 125 for run, 1 for network create.
			want := 125
			if c.args[0] == "network" {
				want = 1
			}
			res.exits(t, want)
			for _, s := range c.says {
				alternatives := strings.Split(s, "|")
				assert.Truef(t, slices.ContainsFunc(alternatives, func(a string) bool { return strings.Contains(res.stderr, a) }),
					"the message names %q", s)
			}
			assert.Empty(t, e.urun(t, "ps", "-aq").ok(t), "no container was made")
			assert.Equal(t, networksBefore, lines(e.urun(t, "network", "ls", "-q").ok(t)), "no network was made")
			assert.Empty(t, e.holders(), "no holder runs")
			_, err := os.Stat(filepath.Join(e.networksDir(), "holder.log"))
			assert.Truef(t, os.IsNotExist(err), "no holder was ever started (it would have made its log): %v", err)
		})
	}
}

// hostHTTPServer serves "hello from the host" on a port of all the host's
// addresses and returns its URL on the first IPv4 address other than
// loopback (slirp4netns, run with --disable-host-loopback, lets containers
// reach that one); it skips the test if the host has none.
func hostHTTPServer(t *testing.T) string {
	t.Helper()
	hostIP := ""
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			hostIP = n.IP.String()
			break
		}
	}
	if hostIP == "" {
		t.Skip("the host has no IPv4 address other than loopback")
	}
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the host")
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://%s/", net.JoinHostPort(hostIP, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)))
}

func TestAContainerOnANetworkReachesTheHostThroughTheUplink(t *testing.T) {
	url := hostHTTPServer(t)
	e := networkEnv(t)
	e.urun(t, "network", "create", "--subnet", "10.77.0.0/24", "out").ok(t)
	out := sections(e.urun(t, "run", "--rm", "--network", "out", busyboxRef, "sh", "-c",
		"echo '== routes'; ip -4 route show\necho '== ping'; ping -c1 -W2 10.77.0.1 >/dev/null && echo ok\n"+fetchScript(10, url)).ok(t))
	assert.Regexp(t, `(?m)^default via 10\.77\.0\.1 dev eth0\b`, out["routes"], "the gateway is the subnet's first address")
	assert.Equal(t, "ok\n", out["ping"], "the gateway answers ping")
	assert.Equal(t, "hello from the host\n", out[url], "a server on the host's address")
}

func TestAContainerSharingAnotherOnesNetworkReachesItsServerOnLoopback(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "shared").ok(t)
	e.startWeb(t, "web", "--network", "shared")
	out := sections(e.urun(t, "run", "--rm", "--network", "container:web", busyboxRef, "sh", "-c", fetchScript(50, "http://127.0.0.1/")).ok(t))
	assert.Equal(t, "hello from web\n", out["http://127.0.0.1/"])
}

// inspectNetwork is the running container's endpoint on network as
// `urun inspect` shows it.
func (e *env) inspectNetwork(t *testing.T, name, network string) map[string]any {
	t.Helper()
	out := e.urun(t, "inspect", "-f", "{{json .NetworkSettings.Networks}}", name).ok(t)
	var nets map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &nets), out)
	return nets[network]
}

func TestNetworkConnectAndDisconnectOfARunningContainer(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "front").ok(t)
	e.urun(t, "network", "create", "back").ok(t)
	e.startWeb(t, "db", "--network", "back")
	e.startSleeper(t, "app", "--network", "front")

	before := sections(e.urun(t, "exec", "app", "sh", "-c", lookupScript("db")).ok(t))
	assert.True(t, lookupFailed(before["db"]), "db is on another network: %s", before["db"])

	e.urun(t, "network", "connect", "--alias", "application", "back", "app").ok(t)
	out := e.urun(t, "exec", "app", "sh", "-c", "ip -o link show eth1 >/dev/null && echo has-eth1\n"+fetchScript(25, "http://db/")).ok(t)
	got := sections(out)
	assert.Contains(t, got[""], "has-eth1", "connect gave the running container an interface")
	assert.Equal(t, "hello from db\n", got["http://db/"], "and names and traffic on the new network")
	back := e.inspectNetwork(t, "app", "back")
	require.NotNil(t, back, "inspect shows the new network")
	assert.Equal(t, []any{"application"}, back["Aliases"])
	fromDB := sections(e.urun(t, "exec", "db", "sh", "-c", lookupScript("application")).ok(t))
	assert.Equal(t, back["IPAddress"], lookupAddress(fromDB["application"]), "the alias given to connect resolves on that network")

	e.urun(t, "network", "disconnect", "back", "app").ok(t)
	after := sections(e.urun(t, "exec", "app", "sh", "-c", "ip -o link show eth1 2>/dev/null || echo no-eth1\n"+lookupScript("db")).ok(t))
	assert.Contains(t, after[""], "no-eth1", "disconnect took the interface away")
	assert.True(t, lookupFailed(after["db"]), "and the names of that network: %s", after["db"])
	assert.Nil(t, e.inspectNetwork(t, "app", "back"), "inspect no longer shows it")

	// As in Docker, the last network goes too (only lo stays), and the
	// container can be connected again.
	e.urun(t, "network", "disconnect", "front", "app").ok(t)
	alone := e.urun(t, "exec", "app", "ip", "-o", "link", "show").ok(t)
	assert.Equal(t, 1, len(lines(alone)), "only lo is left: %s", alone)
	e.urun(t, "network", "connect", "back", "app").ok(t)
	again := sections(e.urun(t, "exec", "app", "sh", "-c", fetchScript(25, "http://db/")).ok(t))
	assert.Equal(t, "hello from db\n", again["http://db/"], "connected again after it was on no network")
}

func TestANetworkWithIPv6GivesContainersIPv6AddressesAndNames(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "--ipv6", "--subnet", "fd00:5:6::/64", "sixnet").ok(t)
	e.startWeb(t, "six", "--network", "sixnet")
	ep := e.inspectNetwork(t, "six", "sixnet")
	require.NotNil(t, ep)
	ip6, _ := ep["GlobalIPv6Address"].(string)
	require.True(t, strings.HasPrefix(ip6, "fd00:5:6::"), "inspect shows an address of the IPv6 subnet: %v", ep)
	assert.Equal(t, "fd00:5:6::1", ep["IPv6Gateway"])
	out := e.urun(t, "run", "--rm", "--network", "sixnet", busyboxRef, "sh", "-c",
		"nslookup -type=AAAA six; "+fetchScript(25, "http://["+ip6+"]/")).ok(t)
	got := sections(out)
	assert.Contains(t, got[""], ip6, "the name server answers AAAA")
	assert.Equal(t, "hello from six\n", got["http://["+ip6+"]/"], "traffic over IPv6 between the containers")
}
