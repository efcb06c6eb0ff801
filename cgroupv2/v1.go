package cgroupv2

// Root's cgroups on a cgroup v1 or hybrid host (issue 18), as Docker's
// cgroupfs driver makes them: a directory urun/urun-ID in each v1
// hierarchy. It sits in this package, though the package is named for v2,
// because it is one more Manager handing back a Cgroup, and because the
// rest of urun speaks the v2 files Flags.Files builds: the translation to
// v1 files happens here, once, so that run, update, stats and pause keep
// a single vocabulary and a single record (State.Cgroup) of where the
// container is.

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ManagerCgroupfsV1 is the manager Choose picks for root on a v1 or
// hybrid host, with --cgroup-manager cgroupfs or none given. Users never
// type it: --cgroup-manager still takes systemd, cgroupfs or none.
const ManagerCgroupfsV1 = "cgroupfs-v1"

// v1Parent is the directory, in every v1 hierarchy, that holds the
// containers' cgroups: /sys/fs/cgroup/memory/urun/urun-ID.
const v1Parent = "urun"

// v1Controllers are the cgroup v1 controllers urun knows; other words of
// a cgroup mount's options (rw, name=systemd, clone_children...) are not
// controllers.
var v1Controllers = []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory", "net_cls", "net_prio", "perf_event", "pids", "rdma", "misc"}

// v1Always are the controllers every container joins where they are
// mounted, limits or not: memory for its OOM count and usage, cpuacct,
// pids and blkio for `urun stats`, freezer for `urun pause`, cpu and
// cpuset so that `urun update` finds a cgroup to write; devices so that
// its cgroup namespace shows none of the host's cgroups (it allows what
// its parent does: urun's device rules are the namespace's).
var v1Always = []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"}

// v1Required are the controllers root's v1 manager needs mounted and
// writable to be chosen at all.
var v1Required = []string{"memory", "pids", "cpu"}

// V1Mounts maps each mounted cgroup v1 controller to its mount point;
// co-mounted controllers (cpu,cpuacct) share one.
type V1Mounts map[string]string

// ReadV1Mounts reads the v1 hierarchies from /proc/self/mountinfo.
func ReadV1Mounts() (V1Mounts, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("find the cgroup v1 hierarchies: %w", err)
	}
	return parseV1Mounts(data), nil
}

// parseV1Mounts picks the cgroup (v1) lines of a mountinfo: "ID PARENT
// MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - cgroup SOURCE SUPEROPTIONS",
// whose super options name the controllers ("rw,cpu,cpuacct").
func parseV1Mounts(mountinfo []byte) V1Mounts {
	mounts := V1Mounts{}
	for _, line := range bytes.Split(mountinfo, []byte("\n")) {
		fields := strings.Fields(string(line))
		sep := slices.Index(fields, "-")
		if sep < 5 || len(fields) < sep+4 || fields[sep+1] != "cgroup" {
			continue
		}
		point := unescapeMountinfo(fields[4])
		for _, opt := range strings.Split(fields[sep+3], ",") {
			if !slices.Contains(v1Controllers, opt) {
				continue
			}
			// The first mount of a controller is the one to use; the
			// same hierarchy bound elsewhere later is the same tree.
			if _, seen := mounts[opt]; !seen {
				mounts[opt] = point
			}
		}
	}
	return mounts
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// points are the distinct mount points of controllers, sorted.
func (m V1Mounts) points(controllers []string) []string {
	var out []string
	for _, c := range controllers {
		if p, ok := m[c]; ok && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// hierarchyOf finds the v1 hierarchy that holds dir: its mount point and
// dir's cgroup path in it ("/urun/urun-ID").
func (m V1Mounts) hierarchyOf(dir string) (point, rel string, ok bool) {
	for _, p := range m {
		if r, found := strings.CutPrefix(dir, p); found && (r == "" || r[0] == '/') && len(p) > len(point) {
			point, rel, ok = p, r, true
		}
	}
	return point, rel, ok
}

// dirOf is the directory of the cgroup at rel in controller's hierarchy,
// "" when that controller is not mounted.
func (m V1Mounts) dirOf(controller, rel string) string {
	p, ok := m[controller]
	if !ok {
		return ""
	}
	return filepath.Join(p, rel)
}

// CheckV1Mounts says why root's v1 manager cannot be used here, or nil:
// memory, pids and cpu must be mounted where root may write.
func CheckV1Mounts() error {
	mounts, err := ReadV1Mounts()
	if err != nil {
		return err
	}
	for _, c := range v1Required {
		p, ok := mounts[c]
		if !ok {
			return fmt.Errorf("the cgroup v1 controller %s is not mounted", c)
		}
		if unix.Access(p, unix.W_OK) != nil {
			return fmt.Errorf("the cgroup v1 hierarchy %s is read-only", p)
		}
	}
	return nil
}

// rootV1 says whether urun runs as root and, if so, why its v1 manager
// cannot serve it (nil: it can). Tests replace it, so that Choose does
// not depend on who runs them.
var rootV1 = func() (root bool, why error) {
	if os.Geteuid() != 0 {
		return false, nil
	}
	return true, CheckV1Mounts()
}

// chooseV1 is Choose's answer for root on a v1 or hybrid host; ok false
// when urun does not run as root: users' answer stands.
func chooseV1(r Request, h Host) (name string, ok bool, err error) {
	root, why := rootV1()
	switch {
	case !root:
		return "", false, nil
	case r.Manager == ManagerSystemd:
		return "", true, fmt.Errorf("--cgroup-manager systemd: this host has %s, where urun makes root's cgroups itself in the v1 hierarchies (/sys/fs/cgroup/CONTROLLER/urun): drop the flag or give --cgroup-manager cgroupfs", h.Mode)
	case why == nil:
		return ManagerCgroupfsV1, true, nil
	case r.Limits:
		return "", true, fmt.Errorf("resource limits (--memory, --cpus, --pids-limit...): this host has %s, and root's limits there need the v1 controllers memory, pids and cpu mounted and writable: %v", h.Mode, why)
	case r.Manager == ManagerCgroupfs:
		return "", true, fmt.Errorf("--cgroup-manager cgroupfs: this host has %s, and root's cgroups there need the v1 controllers memory, pids and cpu mounted and writable: %v", h.Mode, why)
	}
	return ManagerNone, true, nil
}

// v1Write is one file to write in a controller's cgroup directory.
type v1Write struct {
	controller, file, value string
}

// unlimitedV1 is what v1's limit files read for no limit: a page-rounded
// LLONG_MAX, written as -1.
const unlimitedV1 = "-1"

// translateV1 turns the v2 limit files into v1 ones, in the order they
// are to be written. has says whether a controller's cgroup has a file
// (memory.memsw.* needs swapaccount, blkio weights a proportional I/O
// scheduler).
//
//	memory.max N        memory.limit_in_bytes N ("max": -1)
//	memory.swap.max S   memory.memsw.limit_in_bytes memory.max+S
//	memory.low N        memory.soft_limit_in_bytes N (Docker's v1 --memory-reservation; 0: -1)
//	cpu.max "Q P"       cpu.cfs_period_us P, cpu.cfs_quota_us Q ("max": -1)
//	cpu.weight W        cpu.shares WeightToShares(W)
//	memory.high, other  refused: they need cgroup v2
//	pids.max N          pids.max N
//	cpuset.cpus/mems    cpuset.cpus/mems
//	io.weight "default W"  blkio.weight or blkio.bfq.weight, 10 to 1000
//	io.max "D rbps=N.." blkio.throttle.{read,write}_{bps,iops}_device "D N"
func translateV1(files map[string]string, has func(controller, file string) bool) ([]v1Write, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	// memory.max before memory.swap.max: memsw may not be below the
	// memory limit.
	slices.Sort(names)
	var out []v1Write
	for _, name := range names {
		v := strings.TrimSpace(files[name])
		w, err := translateV1File(name, v, files, has)
		if err != nil {
			return nil, err
		}
		out = append(out, w...)
	}
	return out, nil
}

func translateV1File(name, v string, files map[string]string, has func(controller, file string) bool) ([]v1Write, error) {
	limit := func(v string) string {
		if v == "max" {
			return unlimitedV1
		}
		return v
	}
	switch name {
	case "memory.max":
		return []v1Write{{"memory", "memory.limit_in_bytes", limit(v)}}, nil
	case "memory.swap.max":
		mem := files["memory.max"]
		if !has("memory", "memory.memsw.limit_in_bytes") {
			// Docker's default, as much swap as memory, and no swap
			// limit at all are what a kernel without swap accounting
			// gives anyway (Docker drops them with a warning).
			if v == "max" || v == mem {
				return nil, nil
			}
			return nil, errors.New("--memory-swap: this kernel does not account swap in cgroup v1 (no memory.memsw.limit_in_bytes): boot it with swapaccount=1, or run without --memory-swap")
		}
		if v == "max" || mem == "" || mem == "max" {
			return []v1Write{{"memory", "memory.memsw.limit_in_bytes", unlimitedV1}}, nil
		}
		m, err1 := strconv.ParseInt(mem, 10, 64)
		s, err2 := strconv.ParseInt(v, 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("memory.swap.max %q with memory.max %q: not numbers", v, mem)
		}
		return []v1Write{{"memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(m+s, 10)}}, nil
	case "memory.low":
		// No protection (v2's 0, from Unlimited) is v1's no soft limit.
		if v == "0" {
			v = "max"
		}
		return []v1Write{{"memory", "memory.soft_limit_in_bytes", limit(v)}}, nil
	case "cpu.max":
		quota, period, _ := strings.Cut(v, " ")
		var out []v1Write
		if period != "" {
			out = append(out, v1Write{"cpu", "cpu.cfs_period_us", period})
		}
		return append(out, v1Write{"cpu", "cpu.cfs_quota_us", limit(quota)}), nil
	case "cpu.weight":
		w, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cpu.weight %q: not a number", v)
		}
		return []v1Write{{"cpu", "cpu.shares", strconv.FormatUint(WeightToShares(w), 10)}}, nil
	case "pids.max":
		return []v1Write{{"pids", "pids.max", v}}, nil
	case "cpuset.cpus", "cpuset.mems":
		return []v1Write{{"cpuset", name, v}}, nil
	case "io.weight":
		w, err := strconv.Atoi(strings.TrimPrefix(v, "default "))
		if err != nil {
			return nil, fmt.Errorf("io.weight %q: not a weight", v)
		}
		// The inverse of Flags.Files' stretch of 10..1000 to 1..10000;
		// v2's default 100 (from Unlimited, never from a flag) is v1's
		// default 500.
		weight := strconv.Itoa(10 + (w-1)*990/9999)
		if w == 100 {
			weight = "500"
		}
		for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
			if has("blkio", f) {
				return []v1Write{{"blkio", f, weight}}, nil
			}
		}
		return nil, errors.New("--blkio-weight: this host's cgroup v1 blkio controller has no proportional weight (neither blkio.weight nor blkio.bfq.weight: no CFQ or BFQ I/O scheduler): run without it")
	case "io.max":
		return translateIOMax(v)
	}
	return nil, fmt.Errorf("the cgroup v2 setting %s has no cgroup v1 counterpart urun knows: it needs cgroup v2", name)
}

// translateIOMax turns io.max's lines ("8:0 rbps=1 wiops=2") into v1's
// throttle files, one write per device and key.
func translateIOMax(v string) ([]v1Write, error) {
	files := map[string]string{"rbps": "blkio.throttle.read_bps_device", "wbps": "blkio.throttle.write_bps_device", "riops": "blkio.throttle.read_iops_device", "wiops": "blkio.throttle.write_iops_device"}
	var out []v1Write
	for _, line := range strings.Split(v, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, kv := range fields[1:] {
			k, n, _ := strings.Cut(kv, "=")
			file, ok := files[k]
			if !ok {
				return nil, fmt.Errorf("io.max %q: no cgroup v1 counterpart of %s", line, k)
			}
			if n == "max" {
				n = "0" // no limit, in v1's throttle files
			}
			out = append(out, v1Write{"blkio", file, fields[0] + " " + n})
		}
	}
	return out, nil
}

// WeightToShares is the inverse of SharesToWeight (crun's map of
// cpu.shares onto cpu.weight): with l = log2(shares), weight =
// 10^((l²+125l)/612 - 7/34), so l = (-125 + sqrt(125² + 2448(log10(weight)
// + 7/34)))/2. It keeps the ends (1 → 2, 100 → 1024, 10000 → 262144);
// SharesToWeight rounds up, so a round trip gives back the shares
// within a few percent.
func WeightToShares(weight uint64) uint64 {
	switch {
	case weight == 0:
		return 0
	case weight <= 1:
		return 2
	case weight >= 10000:
		return 262144
	}
	e := math.Log10(float64(weight)) + 7.0/34
	l := (-125 + math.Sqrt(125*125+4*612*e)) / 2
	return min(max(uint64(math.Round(math.Pow(2, l))), 2), 262144)
}

// cgroupfsV1Manager makes root's containers' cgroups in the v1
// hierarchies. It has no Prepare: CLONE_INTO_CGROUP is v2 only.
type cgroupfsV1Manager struct{}

// Place makes urun/urun-ID in every hierarchy of a controller the limits
// need and of v1Always, writes the limits and moves pid into each. The
// Cgroup's Dir is the memory controller's directory, where the OOM count
// is; State.Cgroup records it ("/memory/urun/urun-ID") and the readers
// (ReadUsage, SetFrozen, ApplyTo) find the other controllers' from it.
func (cgroupfsV1Manager) Place(id string, pid int, files map[string]string) (*Cgroup, error) {
	mounts, err := ReadV1Mounts()
	if err != nil {
		return nil, err
	}
	rel := filepath.Join("/", v1Parent, "urun-"+id)
	has := func(controller, file string) bool {
		p, ok := mounts[controller]
		if !ok {
			return false
		}
		_, err := os.Stat(filepath.Join(p, file))
		return err == nil
	}
	writes, err := translateV1(files, has)
	if err != nil {
		return nil, err
	}
	need := slices.Clone(v1Always)
	for _, w := range writes {
		if _, ok := mounts[w.controller]; !ok {
			return nil, fmt.Errorf("the limits asked for need the cgroup v1 controller %s, which this host does not mount", w.controller)
		}
		need = append(need, w.controller)
	}
	points := mounts.points(need)
	cg := &Cgroup{}
	for _, p := range points {
		dir := filepath.Join(p, rel)
		if err := makeV1Dir(dir); err != nil {
			return cg.v1OrNil(), err
		}
		cg.v1Dirs = append(cg.v1Dirs, dir)
	}
	cg.Dir = mounts.dirOf("memory", rel)
	if cg.Dir == "" {
		cg.Dir = cg.v1Dirs[0]
	}
	for _, w := range writes {
		if err := writeV1(mounts.dirOf(w.controller, rel), w); err != nil {
			return cg, err
		}
	}
	for _, dir := range cg.v1Dirs {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return cg, fmt.Errorf("move the container into its cgroup %s: %w", dir, err)
		}
	}
	return cg, nil
}

func (c *Cgroup) v1OrNil() *Cgroup {
	if len(c.v1Dirs) == 0 {
		return nil
	}
	return c
}

func writeV1(dir string, w v1Write) error {
	if err := os.WriteFile(filepath.Join(dir, w.file), []byte(w.value), 0); err != nil {
		return fmt.Errorf("write %s %q in %s: %w", w.file, w.value, dir, err)
	}
	return nil
}

// makeV1Dir makes a container's cgroup directory and urun's above it. A
// new cpuset cgroup has no CPUs and no memory nodes, and no process may
// join it until it has: each gets its parent's.
func makeV1Dir(dir string) error {
	parent := filepath.Dir(dir)
	if err := os.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup %s: %w", parent, err)
	}
	if err := inheritCpuset(parent); err != nil {
		return err
	}
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, os.ErrExist) {
		// Left by a urun that was killed (the caller holds the
		// container's lock): what is in it belongs to that dead run.
		if err = removeCgroup(dir); err == nil {
			err = os.Mkdir(dir, 0o755)
		}
	}
	if err != nil {
		return fmt.Errorf("create the container's cgroup %s: %w", dir, err)
	}
	return inheritCpuset(dir)
}

// inheritCpuset copies the parent's cpuset.cpus and cpuset.mems into a
// cpuset cgroup where they are empty; it does nothing in another
// hierarchy.
func inheritCpuset(dir string) error {
	for _, name := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s of %s: %w", name, dir, err)
		}
		if strings.TrimSpace(string(cur)) != "" {
			continue
		}
		parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), name))
		if err != nil {
			return fmt.Errorf("read %s of %s: %w", name, filepath.Dir(dir), err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), bytes.TrimSpace(parent), 0); err != nil {
			return fmt.Errorf("give %s its parent's %s: %w", dir, name, err)
		}
	}
	return nil
}

// closeV1 is Close for a v1 Cgroup: the OOM count first, while memory's
// directory exists, then every directory.
func (c *Cgroup) closeV1() (oomKills uint64, err error) {
	if c.Dir != "" {
		oomKills, _ = OOMKills(c.Dir)
	}
	for _, dir := range c.v1Dirs {
		if rerr := removeCgroup(dir); err == nil {
			err = rerr
		}
	}
	return oomKills, err
}

// V1Hierarchy is a v1 hierarchy as a container mounts it: its name under
// /sys/fs/cgroup ("cpu,cpuacct") and the mount option naming its
// controllers, which must be the hierarchy's exactly.
type V1Hierarchy struct {
	Name, Options string
}

// V1Hierarchies are the host's v1 hierarchies of controllers urun knows
// (no named ones such as name=systemd).
func V1Hierarchies() []V1Hierarchy {
	mounts, err := ReadV1Mounts()
	if err != nil {
		return nil
	}
	var out []V1Hierarchy
	for _, p := range mounts.points(v1Controllers) {
		var controllers []string
		for c, q := range mounts {
			if q == p {
				controllers = append(controllers, c)
			}
		}
		slices.Sort(controllers)
		out = append(out, V1Hierarchy{Name: filepath.Base(p), Options: strings.Join(controllers, ",")})
	}
	return out
}

// V1 says whether the Cgroup is in cgroup v1 hierarchies: no cgroup2 to
// mount inside, no CLONE_INTO_CGROUP.
func (c *Cgroup) V1() bool {
	return c != nil && len(c.v1Dirs) > 0
}

// v1Cgroup finds the v1 hierarchies of dir, a container's recorded
// cgroup directory; ok false for a cgroup v2 directory.
func v1Cgroup(dir string) (mounts V1Mounts, rel string, ok bool) {
	if _, err := os.Stat(filepath.Join(dir, "cgroup.controllers")); err == nil {
		return nil, "", false
	}
	mounts, err := ReadV1Mounts()
	if err != nil {
		return nil, "", false
	}
	_, rel, ok = mounts.hierarchyOf(dir)
	return mounts, rel, ok
}

// v1JoinDirs are the directories of a container's v1 cgroup whose
// recorded directory is dir, for a process to join; nil for a v2 one.
func v1JoinDirs(dir string) []string {
	mounts, rel, ok := v1Cgroup(dir)
	if !ok {
		return nil
	}
	var dirs []string
	for _, p := range mounts.points(v1Controllers) {
		if d := filepath.Join(p, rel); d != p {
			if _, err := os.Stat(d); err == nil {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// attachV1 moves pid into each of dirs.
func attachV1(dirs []string, pid int) error {
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("move process %d into the container's cgroup %s: %w", pid, dir, err)
		}
	}
	return nil
}

// readUsageV1 is ReadUsage for a v1 cgroup: cpuacct.usage (ns),
// memory.usage_in_bytes less total_inactive_file, pids.current and
// blkio's bytes serviced.
func readUsageV1(mounts V1Mounts, rel string) Usage {
	var u Usage
	if dir := mounts.dirOf("cpuacct", rel); dir != "" {
		if v, err := readValue(filepath.Join(dir, "cpuacct.usage")); err == nil {
			u.CPUUsec, u.CPUOK = parseUint(v)/1000, true
		}
	}
	if dir := mounts.dirOf("memory", rel); dir != "" {
		if v, err := readValue(filepath.Join(dir, "memory.usage_in_bytes")); err == nil {
			u.Memory, u.MemoryOK = parseUint(v), true
			if inactive, err := readKey(filepath.Join(dir, "memory.stat"), "total_inactive_file"); err == nil {
				if n := parseUint(inactive); n < u.Memory {
					u.Memory -= n
				}
			}
			// No limit reads as a page-rounded LLONG_MAX.
			if limit, err := readValue(filepath.Join(dir, "memory.limit_in_bytes")); err == nil && parseUint(limit) < 1<<62 {
				u.MemoryMax = parseUint(limit)
			}
		}
	}
	if dir := mounts.dirOf("pids", rel); dir != "" {
		if v, err := readValue(filepath.Join(dir, "pids.current")); err == nil {
			u.PIDs, u.PIDsOK = parseUint(v), true
		}
	}
	if dir := mounts.dirOf("blkio", rel); dir != "" {
		if data, err := os.ReadFile(filepath.Join(dir, "blkio.throttle.io_service_bytes")); err == nil {
			u.BlockRead, u.BlockWrite = blkioServiceBytes(string(data))
			u.BlockOK = true
		}
	}
	return u
}

// blkioServiceBytes adds up the Read and Write lines of v1's
// blkio.throttle.io_service_bytes ("8:0 Read 4096", "Total 8192").
func blkioServiceBytes(data string) (read, write uint64) {
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		switch f[1] {
		case "Read":
			read += parseUint(f[2])
		case "Write":
			write += parseUint(f[2])
		}
	}
	return read, write
}

// setFrozenV1 freezes or thaws through the freezer controller's
// freezer.state, waiting until it reads FROZEN or THAWED (FREEZING while
// a task resists).
func setFrozenV1(mounts V1Mounts, rel string, frozen bool) error {
	dir := mounts.dirOf("freezer", rel)
	if dir == "" {
		return errors.New("pausing needs the cgroup v1 freezer controller, which this host does not mount (or cgroup v2)")
	}
	want := map[bool]string{true: "FROZEN", false: "THAWED"}[frozen]
	file := filepath.Join(dir, "freezer.state")
	deadline := time.Now().Add(freezeWait)
	for {
		// Written again while FREEZING: the kernel retries the tasks
		// that were not frozen yet.
		if err := os.WriteFile(file, []byte(want), 0); err != nil {
			return fmt.Errorf("write %s to %s: %w", want, file, err)
		}
		got, err := readValue(file)
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still reads %s after %s", file, got, freezeWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// frozenV1 reads freezer.state.
func frozenV1(mounts V1Mounts, rel string) (bool, error) {
	dir := mounts.dirOf("freezer", rel)
	if dir == "" {
		return false, errors.New("no cgroup v1 freezer controller")
	}
	v, err := readValue(filepath.Join(dir, "freezer.state"))
	return v == "FROZEN", err
}

// applyToV1 is ApplyTo for a v1 cgroup (`urun update`). A memory limit
// below the current memsw limit must go first, one above it after the
// memsw limit: the first order that the kernel refuses is retried in the
// other.
func applyToV1(mounts V1Mounts, rel string, files map[string]string) error {
	has := func(controller, file string) bool {
		dir := mounts.dirOf(controller, rel)
		if dir == "" {
			return false
		}
		_, err := os.Stat(filepath.Join(dir, file))
		return err == nil
	}
	writes, err := translateV1(files, has)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if mounts.dirOf(w.controller, rel) == "" {
			return fmt.Errorf("%s: this host does not mount the cgroup v1 controller %s", w.file, w.controller)
		}
		if _, err := os.Stat(mounts.dirOf(w.controller, rel)); err != nil {
			return fmt.Errorf("%s: the container was started without a cgroup in the v1 controller %s: stop it, then update and start it", w.file, w.controller)
		}
	}
	first := writeAllV1(mounts, rel, writes)
	if first == nil {
		return nil
	}
	// memsw before memory.limit_in_bytes.
	var memsw, rest []v1Write
	for _, w := range writes {
		if w.file == "memory.memsw.limit_in_bytes" {
			memsw = append(memsw, w)
		} else {
			rest = append(rest, w)
		}
	}
	if len(memsw) == 0 || writeAllV1(mounts, rel, append(memsw, rest...)) != nil {
		return first
	}
	return nil
}

func writeAllV1(mounts V1Mounts, rel string, writes []v1Write) error {
	for _, w := range writes {
		if err := writeV1(mounts.dirOf(w.controller, rel), w); err != nil {
			return err
		}
	}
	return nil
}
