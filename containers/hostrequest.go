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
	// NetworkMode is --network as given ("" for the default).
	NetworkMode string `json:"network_mode,omitempty"`
	// PublishAll is -P.
	PublishAll  bool     `json:"publish_all,omitempty"`
	VolumesFrom []string `json:"volumes_from,omitempty"`
	Links       []string `json:"links,omitempty"`
	// IpcMode, PidMode and UTSMode are --ipc, --pid and --uts as given
	// ("host", "container:NAME", "private"; "" when not given).
	IpcMode string `json:"ipc_mode,omitempty"`
	PidMode string `json:"pid_mode,omitempty"`
	UTSMode string `json:"uts_mode,omitempty"`
	// LogDriver and LogOptions are --log-driver and --log-opt as given;
	// LogDriver "" is urun's default (k8s-file).
	LogDriver  string            `json:"log_driver,omitempty"`
	LogOptions map[string]string `json:"log_options,omitempty"`
}
