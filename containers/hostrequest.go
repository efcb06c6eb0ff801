package containers

// HostRequest is what `urun run` or `urun create` was asked about the
// container's place on the host, kept as given for `urun inspect`'s
// HostConfig (Docker's field names): the spec holds the result, not what
// was asked (--cap-add ALL is a list of capabilities there, --privileged
// many things).
type HostRequest struct {
	CapAdd      []string `json:"cap_add,omitempty"`
	CapDrop     []string `json:"cap_drop,omitempty"`
	Privileged  bool     `json:"privileged,omitempty"`
	ReadOnly    bool     `json:"read_only,omitempty"`
	SecurityOpt []string `json:"security_opt,omitempty"`
	// Devices are the --device values.
	Devices []string `json:"devices,omitempty"`
	// GPUs are the --gpus values; CDIMounts the container paths of the
	// mounts and device nodes the CDI devices' specs added.
	GPUs      []string `json:"gpus,omitempty"`
	CDIMounts []string `json:"cdi_mounts,omitempty"`
	// NetworkMode is --network as given ("" for the default).
	NetworkMode string `json:"network_mode,omitempty"`
	// PublishAll is -P.
	PublishAll  bool     `json:"publish_all,omitempty"`
	VolumesFrom []string `json:"volumes_from,omitempty"`
	Links       []string `json:"links,omitempty"`
}
