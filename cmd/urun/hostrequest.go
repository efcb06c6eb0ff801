package main

import (
	"github.com/urun/urun/containers"
)

// hostRequest is what the flags asked of the container's place on the
// host, kept as given for `urun inspect`.
func (f *runFlags) hostRequest() containers.HostRequest {
	h := containers.HostRequest{
		CapAdd: f.capAdd, CapDrop: f.capDrop, Privileged: f.privileged, ReadOnly: f.readOnly,
		SecurityOpt: f.securityOpts, Devices: f.devices, NetworkMode: f.network,
		PublishAll: f.publishAll, VolumesFrom: f.volumesFrom, Links: f.links,
		GPUs: f.gpus, CDIMounts: f.cdiMounts,
	}
	return h
}
