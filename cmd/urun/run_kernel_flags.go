package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/urun/urun/spec"
)

// kernelFlags are the flags of `urun run` and `urun create` for limits,
// sysctls, groups and namespace modes (spec.Kernel).
type kernelFlags struct {
	ulimits, sysctls, groupAdd []string
	shmSize, domainname        string
	oomScoreAdj                int
	ipc, pid, uts              string
}

func addKernelFlags(fl *pflag.FlagSet, f *kernelFlags) {
	fl.StringArrayVar(&f.ulimits, "ulimit", nil, "set a resource limit: TYPE=SOFT[:HARD] (nofile, nproc, core, memlock, stack, ...; -1 is unlimited); a rootless container cannot raise a hard limit above yours")
	fl.StringVar(&f.shmSize, "shm-size", "", "size of /dev/shm, such as 64m (the default) or 1g")
	fl.StringArrayVar(&f.sysctls, "sysctl", nil, "set a namespaced sysctl: KEY=VALUE (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)")
	fl.StringArrayVar(&f.groupAdd, "group-add", nil, "add the process to a group: a gid or a name in the image's /etc/group")
	fl.StringVar(&f.domainname, "domainname", "", "the container's NIS domain name")
	fl.IntVar(&f.oomScoreAdj, "oom-score-adj", 0, "the process's OOM score adjustment (-1000 to 1000); a rootless container can only raise it")
	fl.StringVar(&f.ipc, "ipc", "", `IPC namespace: "private" (the default: its own), "shareable" (its own, which others may join), "none" (its own, no /dev/shm), "host" (yours, with your /dev/shm) or "container:NAME" (that running shareable container's, with its /dev/shm)`)
	fl.StringVar(&f.pid, "pid", "", `PID namespace: its own (the default), "host" (yours: the container sees your processes and your /proc) or "container:NAME" (that running container's: each sees the other's processes)`)
	fl.StringVar(&f.uts, "uts", "", `UTS namespace: its own (the default), "host" (yours: your host name) or "container:NAME" (that running container's host name)`)
}

// options are the flags in spec's terms; spec.Options.Check checks them.
func (f *kernelFlags) options(cmd *cobra.Command) (spec.Kernel, error) {
	k := spec.Kernel{
		Ulimits: f.ulimits, Sysctls: f.sysctls, GroupAdd: f.groupAdd,
		Domainname: f.domainname, IPC: f.ipc, PID: f.pid, UTS: f.uts,
	}
	if cmd.Flags().Changed("shm-size") {
		n, err := spec.ParseShmSize(f.shmSize)
		if err != nil {
			return k, err
		}
		k.ShmSize = n
	}
	if cmd.Flags().Changed("oom-score-adj") {
		adj := f.oomScoreAdj
		if adj < -1000 || adj > 1000 {
			return k, fmt.Errorf("--oom-score-adj %d: want a number from -1000 to 1000", adj)
		}
		k.OOMScoreAdj = &adj
	}
	return k, nil
}
