package containers

import (
	"path/filepath"

	"github.com/urun/urun/health"
)

// healthFile is a container's health record (package health), in its run
// state directory, written from each start of a container with a health
// check on.
const healthFile = "health.json"

// HealthPath is the health record of the container whose run state is
// dir.
func HealthPath(dir string) string { return filepath.Join(dir, healthFile) }

// Health is the container's health record, nil for a container without a
// health check (or one never started since it got one).
func (c Container) Health() *health.Record {
	rec, err := health.Read(HealthPath(c.Dir))
	if err != nil || rec == nil || !health.Enabled(rec.Check) {
		return nil
	}
	return rec
}

// HealthStatus is the value `ps --filter health=` matches: starting,
// healthy, unhealthy, or none for a container without a health check.
func (c Container) HealthStatus() string {
	if rec := c.Health(); rec != nil {
		return rec.Status
	}
	return health.None
}

// healthSuffix is what Docker's STATUS shows of a running container's
// health after "Up 2 minutes": " (healthy)", " (unhealthy)", " (health:
// starting)", or nothing without a check.
func (c Container) healthSuffix() string {
	rec := c.Health()
	switch {
	case rec == nil || rec.Status == "":
		return ""
	case rec.Status == health.Starting:
		return " (health: starting)"
	}
	return " (" + rec.Status + ")"
}

// healthStates are the values of Docker's health filter.
var healthStates = []string{health.Starting, health.Healthy, health.Unhealthy, health.None}
