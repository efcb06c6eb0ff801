//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	cdilib "tags.cncf.io/container-device-interface/pkg/cdi"
	cdispec "tags.cncf.io/container-device-interface/specs-go"

	"github.com/urun/urun/cdi"
	"github.com/urun/urun/config"
	"github.com/urun/urun/image/request"
)

// prepareCDI resolves `urun run`'s CDI device names with the CDI library
// and prints their edits (cdi.Edits) as JSON for urun to apply.
func prepareCDI(r request.CDI) (work, error) {
	if len(r.Devices) == 0 {
		return nil, errors.New("no CDI device named")
	}
	return func(*config.Config) error {
		edits, err := resolveCDI(r.Devices, r.SpecDirs)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(edits)
	}, nil
}

// resolveCDI reads the CDI specs in dirs and merges what the devices
// named do to a container: each spec's own edits once, then each
// device's, as the CDI library injects them into an OCI spec.
func resolveCDI(names, dirs []string) (cdi.Edits, error) {
	edits := cdi.Edits{Devices: names}
	// No directory watch: the cache lives for this one resolution.
	cache, err := cdilib.NewCache(cdilib.WithSpecDirs(dirs...), cdilib.WithAutoRefresh(false))
	if err != nil {
		return edits, fmt.Errorf("read CDI specs in %s: %w", strings.Join(dirs, ", "), err)
	}
	specErrors := describeSpecErrors(cache)
	var unknown []string
	for _, n := range names {
		if cache.GetDevice(n) == nil {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return edits, unknownDevices(unknown, cache.ListDevices(), dirs, specErrors)
	}
	// Specs that do not name the devices asked for are no reason to
	// fail, but their authors should hear of the problem.
	for _, e := range specErrors {
		fmt.Fprintf(os.Stderr, "urun: warning: CDI spec %s (ignored)\n", e)
	}

	oci := &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}
	if _, err := cache.InjectDevices(oci, names...); err != nil {
		return edits, fmt.Errorf("apply CDI devices %s: %w", strings.Join(names, ", "), err)
	}
	edits.Env = oci.Process.Env
	edits.Mounts = oci.Mounts
	edits.Hooks = oci.Hooks
	edits.AdditionalGIDs = oci.Process.User.AdditionalGids

	// The OCI spec keeps no host path of a device node; a user namespace
	// binds the host's node, so the nodes come from the specs as written.
	seenSpecs := map[*cdilib.Spec]bool{}
	for _, n := range names {
		d := cache.GetDevice(n)
		s := d.GetSpec()
		if !seenSpecs[s] {
			seenSpecs[s] = true
			if err := addNodes(&edits, s.ContainerEdits.DeviceNodes, s.ContainerEdits.NetDevices, s.ContainerEdits.IntelRdt != nil, s.GetPath()); err != nil {
				return edits, err
			}
		}
		if err := addNodes(&edits, d.ContainerEdits.DeviceNodes, d.ContainerEdits.NetDevices, d.ContainerEdits.IntelRdt != nil, s.GetPath()); err != nil {
			return edits, fmt.Errorf("CDI device %s: %w", n, err)
		}
	}
	return edits, nil
}

// addNodes adds a spec's device nodes (a later one at the same path
// replaces an earlier one, as the library does), and refuses the edits a
// rootless container cannot have.
func addNodes(edits *cdi.Edits, nodes []*cdispec.DeviceNode, netDevices []*cdispec.LinuxNetDevice, intelRdt bool, specPath string) error {
	if len(netDevices) > 0 {
		return fmt.Errorf("spec %s moves network devices into the container (netDevices): a rootless container cannot take a host's network device", specPath)
	}
	if intelRdt {
		return fmt.Errorf("spec %s sets Intel RDT classes (intelRdt): urun does not manage resctrl", specPath)
	}
	for _, n := range nodes {
		node := cdi.DeviceNode{Path: n.Path, HostPath: n.HostPath, Permissions: n.Permissions, Spec: specPath}
		if node.HostPath == "" {
			node.HostPath = n.Path
		}
		if i := slices.IndexFunc(edits.DeviceNodes, func(d cdi.DeviceNode) bool { return d.Path == n.Path }); i >= 0 {
			edits.DeviceNodes[i] = node
			continue
		}
		edits.DeviceNodes = append(edits.DeviceNodes, node)
	}
	return nil
}

// describeSpecErrors are the problems of each spec file the library could
// not use, "FILE: PROBLEM", sorted by file.
func describeSpecErrors(cache *cdilib.Cache) []string {
	var out []string
	for file, errs := range cache.GetErrors() {
		out = append(out, fmt.Sprintf("%s: %v", file, errors.Join(errs...)))
	}
	sort.Strings(out)
	return out
}

// unknownDevices names the devices no spec defines, the ones that are
// defined, where urun looked, and any spec it could not read.
func unknownDevices(unknown, known, dirs, specErrors []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown CDI device %s: ", strings.Join(unknown, ", "))
	if len(known) == 0 {
		fmt.Fprintf(&b, "no CDI device is defined in %s", strings.Join(dirs, ", "))
	} else {
		fmt.Fprintf(&b, "the devices defined in %s are %s", strings.Join(dirs, ", "), strings.Join(known, ", "))
	}
	for _, e := range specErrors {
		fmt.Fprintf(&b, "; spec %s", e)
	}
	isGPU := func(n string) bool { return strings.HasPrefix(n, cdi.NvidiaGPUKind+"=") }
	if slices.ContainsFunc(unknown, isGPU) && !slices.ContainsFunc(known, isGPU) {
		fmt.Fprintf(&b, "; NVIDIA's GPUs need a CDI spec generated by the administrator: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml")
	}
	fmt.Fprintf(&b, " (set %s or cdi_spec_dirs in urun.conf for other directories)", cdi.SpecDirsEnv)
	return errors.New(b.String())
}
