package cdi

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// NvidiaGPUKind is the vendor and class of NVIDIA's CDI devices, as
// nvidia-ctk names them in the specs it generates (nvidia.com/gpu=0,
// nvidia.com/gpu=GPU-UUID, nvidia.com/gpu=all).
const NvidiaGPUKind = "nvidia.com/gpu"

// GPURequest is one --gpus value in Docker's grammar, and Docker's
// DeviceRequest in `urun inspect` (HostConfig.DeviceRequests).
type GPURequest struct {
	// Driver is "" or "nvidia": the only GPUs urun maps to CDI names.
	Driver string
	// Count is how many GPUs: -1 for all, 0 when DeviceIDs name them.
	Count int
	// DeviceIDs are device=ID[,ID]: indexes or UUIDs.
	DeviceIDs []string
	// Capabilities are capabilities=...; Docker adds "gpu" to every set.
	Capabilities [][]string
	Options      map[string]string
}

// ParseGPUs parses --gpus as Docker does: a comma-separated (CSV, so a
// list inside a field is quoted: '"device=0,1"') set of KEY=VALUE fields,
// driver, count (a number or "all"), device, capabilities and options, or
// a bare count: all, or a number. Without a count or devices it is one
// GPU.
func ParseGPUs(v string) (GPURequest, error) {
	r := csv.NewReader(strings.NewReader(v))
	fields, err := r.Read()
	if err != nil {
		return GPURequest{}, fmt.Errorf("--gpus %s: %w: want all, a number, or KEY=VALUE fields (count, device, capabilities, driver, options) such as '\"device=0,1\"'", v, err)
	}
	req := GPURequest{}
	seen := map[string]bool{}
	countSet := false
	for _, field := range fields {
		key, val, hasValue := strings.Cut(field, "=")
		if !hasValue {
			key, val = "count", field
		}
		if seen[key] {
			return GPURequest{}, fmt.Errorf("--gpus %s: %s given twice", v, key)
		}
		seen[key] = true
		switch key {
		case "count":
			if req.Count, err = parseGPUCount(val); err != nil {
				return GPURequest{}, fmt.Errorf("--gpus %s: %w", v, err)
			}
			countSet = true
		case "driver":
			req.Driver = val
		case "device":
			for _, id := range strings.Split(val, ",") {
				if id = strings.TrimSpace(id); id == "" {
					return GPURequest{}, fmt.Errorf("--gpus %s: an empty device id", v)
				}
				req.DeviceIDs = append(req.DeviceIDs, id)
			}
		case "capabilities":
			caps := strings.Split(val, ",")
			if !slices.Contains(caps, "gpu") {
				caps = append(caps, "gpu")
			}
			req.Capabilities = [][]string{caps}
		case "options":
			opts, err := csv.NewReader(strings.NewReader(val)).Read()
			if err != nil {
				return GPURequest{}, fmt.Errorf("--gpus %s: options: %w", v, err)
			}
			req.Options = map[string]string{}
			for _, o := range opts {
				k, ov, _ := strings.Cut(o, "=")
				req.Options[k] = ov
			}
		default:
			return GPURequest{}, fmt.Errorf("--gpus %s: unknown key %q: want count, device, capabilities, driver or options", v, key)
		}
	}
	if countSet && req.DeviceIDs != nil {
		return GPURequest{}, fmt.Errorf(`--gpus %s: give a count or devices, not both (quote a list of devices: '"device=0,1"')`, v)
	}
	if !countSet && req.DeviceIDs == nil {
		req.Count = 1
	}
	if req.Capabilities == nil {
		req.Capabilities = [][]string{{"gpu"}}
	}
	if req.Options == nil {
		req.Options = map[string]string{}
	}
	return req, nil
}

func parseGPUCount(v string) (int, error) {
	if v == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("count %q: want all or a number of GPUs from 1", v)
	}
	return n, nil
}

// DeviceNames are the CDI devices r asks for among NVIDIA's: all of them
// (nvidia.com/gpu=all), the first Count by index, or the ones DeviceIDs
// name. Only the nvidia driver's GPUs have CDI names urun knows; options
// are the driver's, which CDI has no place for.
func (r GPURequest) DeviceNames() ([]string, error) {
	if r.Driver != "" && r.Driver != "nvidia" {
		return nil, fmt.Errorf("--gpus driver=%s: urun maps --gpus to NVIDIA's CDI devices only (%s=...); give another vendor's devices as --device VENDOR/CLASS=NAME", r.Driver, NvidiaGPUKind)
	}
	if len(r.Options) > 0 {
		return nil, fmt.Errorf("--gpus options=...: driver options have no place in CDI; drop them (the CDI spec says what a device gets)")
	}
	var names []string
	switch {
	case r.DeviceIDs != nil:
		for _, id := range r.DeviceIDs {
			names = append(names, NvidiaGPUKind+"="+id)
		}
	case r.Count < 0:
		names = []string{NvidiaGPUKind + "=all"}
	default:
		for i := range r.Count {
			names = append(names, NvidiaGPUKind+"="+strconv.Itoa(i))
		}
	}
	return names, nil
}

// DriverCapabilities is the NVIDIA_DRIVER_CAPABILITIES the container gets
// for capabilities other than Docker's implied "gpu" (compute, utility,
// ...), "" when none were asked: NVIDIA's own images read it.
func (r GPURequest) DriverCapabilities() string {
	var caps []string
	for _, set := range r.Capabilities {
		for _, c := range set {
			if c != "gpu" && !slices.Contains(caps, c) {
				caps = append(caps, c)
			}
		}
	}
	return strings.Join(caps, ",")
}
