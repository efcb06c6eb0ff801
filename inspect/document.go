// Package inspect builds the document `urun inspect` shows of a
// container, shaped as `docker container inspect`'s, from the container's
// record and the settings it was created with (both package containers'),
// and renders it beside images' (package imagedoc) for `urun inspect`.
package inspect

import (
	"github.com/urun/urun/health"
	"github.com/urun/urun/image/imagedoc"
)

// Container is one element of `urun inspect`'s array. Field names are
// Docker's Go names, so that templates such as {{.State.Pid}} work as
// with Docker; the JSON keys are Docker's.
type Container struct {
	ID      string `json:"Id"`
	Created string
	// SizeRw and SizeRootFs are there only with -s, as Docker's.
	SizeRw         *int64 `json:",omitempty"`
	SizeRootFs     *int64 `json:",omitempty"`
	Path           string
	Args           []string
	State          State
	Image          string
	ResolvConfPath string
	HostnamePath   string
	HostsPath      string
	LogPath        string
	Name           string
	RestartCount   int
	Driver         string
	Platform       string
	HostConfig     HostConfig
	Mounts         []Mount
	// Config is the container's own configuration, the image's merged
	// with the options of `urun run`: Docker's container configuration,
	// as images show theirs.
	Config          imagedoc.Config
	NetworkSettings NetworkSettings
}

// State is the container's state as Docker reports it.
type State struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	// Pid is the host pid of the container's init while it runs, else 0.
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  string
	FinishedAt string
	// Health is the record of its health checks, if it has them.
	Health *health.State `json:",omitempty"`
}

// HostConfig is what `urun run` was told about the container's place on
// the host, with Docker's field names (see hostconfig.go).
type HostConfig struct {
	Binds           []string
	LogConfig       LogConfig
	NetworkMode     string
	PortBindings    map[string][]PortBinding
	RestartPolicy   RestartPolicy
	AutoRemove      bool
	VolumesFrom     []string
	CapAdd          []string
	CapDrop         []string
	DNS             []string `json:"Dns"`
	DNSOptions      []string `json:"DnsOptions"`
	DNSSearch       []string `json:"DnsSearch"`
	ExtraHosts      []string
	IpcMode         string
	Links           []string
	PidMode         string
	Privileged      bool
	PublishAllPorts bool
	ReadonlyRootfs  bool
	SecurityOpt     []string
	UTSMode         string
	Runtime         string
	// Resources, as Docker's: 0 (or null) when not limited.
	CPUShares         int64 `json:"CpuShares"`
	Memory            int64
	NanoCPUs          int64 `json:"NanoCpus"`
	BlkioWeight       uint16
	CPUPeriod         int64 `json:"CpuPeriod"`
	CPUQuota          int64 `json:"CpuQuota"`
	CpusetCpus        string
	CpusetMems        string
	Devices           []DeviceMapping
	DeviceRequests    []DeviceRequest // hostconfig_devices.go
	MemoryReservation int64
	MemorySwap        int64
	PidsLimit         *int64
	// Annotations are --annotation's.
	Annotations map[string]string `json:",omitempty"`
	// Kernel settings (hostconfig_kernel.go) and --cgroup-parent.
	ShmSize      int64
	Ulimits      []Ulimit
	Sysctls      map[string]string `json:",omitempty"`
	GroupAdd     []string
	OomScoreAdj  int
	CgroupParent string
	// Init is set only with --init, as Docker's.
	Init  *bool             `json:",omitempty"`
	Tmpfs map[string]string `json:",omitempty"`
}

// Ulimit is one --ulimit, as Docker's (-1 is unlimited).
type Ulimit struct {
	Name string
	Hard int64
	Soft int64
}

// DeviceMapping is one --device.
type DeviceMapping struct {
	PathOnHost        string
	PathInContainer   string
	CgroupPermissions string
}

// LogConfig is the log driver and its options.
type LogConfig struct {
	Type   string
	Config map[string]string
}

// RestartPolicy is --restart.
type RestartPolicy struct {
	Name              string
	MaximumRetryCount int
}

// PortBinding is one host address of a port, as asked (HostConfig) or as
// bound (NetworkSettings).
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// Mount is one of the mounts the user asked for (-v, --mount, --tmpfs).
type Mount struct {
	Type string
	// Name and Driver are a volume's.
	Name        string `json:",omitempty"`
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation string
}

// NetworkSettings are the container's ports as published on the host
// and its endpoints on urun's networks, while it runs. The top-level
// address fields are its endpoint on the default network "bridge", as
// Docker shows them.
type NetworkSettings struct {
	Ports       map[string][]PortBinding
	Gateway     string
	IPAddress   string
	IPPrefixLen int
	MacAddress  string
	Networks    map[string]EndpointSettings
}

// EndpointSettings are Docker's fields of a container's endpoint on one
// network.
type EndpointSettings struct {
	Aliases             []string
	DNSNames            []string
	MacAddress          string
	NetworkID           string
	EndpointID          string
	Gateway             string
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
}
