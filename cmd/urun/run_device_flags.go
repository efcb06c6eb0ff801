package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/urun/urun/cdi"
	"github.com/urun/urun/config"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/trace"
)

// addDeviceFlags adds --device (host paths and CDI names) and --gpus.
func addDeviceFlags(fl *pflag.FlagSet, f *runFlags) {
	fl.StringArrayVar(&f.devices, "device", nil, "bind a host device you can open, HOST-PATH[:CONTAINER-PATH[:rwm]], or add a CDI device, VENDOR/CLASS=NAME (such as nvidia.com/gpu=0 or nvidia.com/gpu=all) from the CDI specs in /etc/cdi and /var/run/cdi ($"+cdi.SpecDirsEnv+" or urun.conf's cdi_spec_dirs for others)")
	fl.StringArrayVar(&f.gpus, "gpus", nil, `add NVIDIA GPUs through their CDI spec, as Docker's --gpus: all, a count (the first N), device=ID[,ID] (indexes or UUIDs; quote a list: '"device=0,1"'), capabilities=... (sets NVIDIA_DRIVER_CAPABILITIES)`)
}

// hostDevices are the --device values that are host paths; the others
// name CDI devices.
func hostDevices(values []string) []string {
	var out []string
	for _, v := range values {
		if !cdi.LooksLikeDeviceName(v) {
			out = append(out, v)
		}
	}
	return out
}

// cdiDevices are the CDI names --device and --gpus ask for, and the
// environment --gpus capabilities=... gives.
func (f *runFlags) cdiDevices() (names, env []string, err error) {
	for _, v := range f.devices {
		if !cdi.LooksLikeDeviceName(v) {
			continue
		}
		if err := cdi.CheckDeviceName(v); err != nil {
			return nil, nil, err
		}
		names = append(names, v)
	}
	for _, v := range f.gpus {
		req, err := cdi.ParseGPUs(v)
		if err != nil {
			return nil, nil, err
		}
		gpus, err := req.DeviceNames()
		if err != nil {
			return nil, nil, err
		}
		names = append(names, gpus...)
		if caps := req.DriverCapabilities(); caps != "" {
			env = append(env, "NVIDIA_DRIVER_CAPABILITIES="+caps)
		}
	}
	return dedupe(names), env, nil
}

func dedupe(names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// addCDIDevices resolves the CDI devices asked for, if any (only then
// does anything more run: urun-image, which links the CDI library), and
// adds what their specs do to o: device nodes bound from the host, mounts,
// environment (before -e's, which wins), hooks and groups.
func (f *runFlags) addCDIDevices(g *globals, cfg *config.Config, o *spec.Options) error {
	names, env, err := f.cdiDevices()
	if err != nil || len(names) == 0 {
		return err
	}
	var out bytes.Buffer
	r := request.CDI{Devices: names, SpecDirs: cdi.SpecDirs(cfg.CDISpecDirs)}
	// A failure urun-image reported (an unknown device, a spec it could
	// not read) ends urun with its status, 125, and its message.
	if err := helper.RunTo(request.Request{Store: g.store(), CDI: &r}, &out); err != nil {
		return err
	}
	trace.Mark("host", "CDI devices resolved")
	var edits cdi.Edits
	if err := json.Unmarshal(out.Bytes(), &edits); err != nil {
		return fmt.Errorf("read the CDI edits urun-image resolved: %w", err)
	}
	applied, err := edits.Translate()
	if err != nil {
		return err
	}
	o.Mounts = append(o.Mounts, applied.Mounts...)
	for _, m := range applied.Mounts {
		f.cdiMounts = append(f.cdiMounts, m.Destination)
	}
	o.Env = append(append(append([]string{}, applied.Env...), env...), o.Env...)
	o.Hooks = applied.Hooks
	o.Kernel.GroupAdd = append(o.Kernel.GroupAdd, applied.GroupAdd...)
	return nil
}
