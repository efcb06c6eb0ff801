package inspect

import (
	"strconv"
	"strings"

	"github.com/urun/urun/spec"
)

// kernelConfig fills HostConfig's kernel settings from the flags as
// given (spec.Kernel): the spec also carries urun's own sysctls, which
// Docker's HostConfig does not show.
func kernelConfig(h *HostConfig, k spec.Kernel) {
	h.IpcMode = orDefault(k.IPC, "private")
	h.PidMode = k.PID
	h.UTSMode = k.UTS
	h.ShmSize = k.ShmSize
	if h.ShmSize == 0 {
		h.ShmSize = spec.DefaultShmSize
	}
	h.GroupAdd = k.GroupAdd
	if k.OOMScoreAdj != nil {
		h.OomScoreAdj = *k.OOMScoreAdj
	}
	for _, v := range k.Sysctls {
		key, value, _ := strings.Cut(v, "=")
		if h.Sysctls == nil {
			h.Sysctls = map[string]string{}
		}
		h.Sysctls[key] = value
	}
	for _, v := range k.Ulimits {
		h.Ulimits = append(h.Ulimits, ulimitOf(v))
	}
}

// ulimitOf reads a --ulimit value that run accepted: TYPE=SOFT[:HARD].
func ulimitOf(v string) Ulimit {
	name, limits, _ := strings.Cut(v, "=")
	soft, hard, hasHard := strings.Cut(limits, ":")
	if !hasHard {
		hard = soft
	}
	number := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	return Ulimit{Name: name, Soft: number(soft), Hard: number(hard)}
}

// annotations are the spec's annotations that --annotation set, without
// urun's own.
func annotations(s map[string]string) map[string]string {
	var out map[string]string
	for k, v := range s {
		if strings.HasPrefix(k, spec.OwnAnnotationPrefix) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}
