package inspect

import (
	"github.com/urun/urun/containers"
)

// addHealth fills in the container's health check (.Config.Healthcheck,
// as Docker's: {"Test":["NONE"]} with --no-healthcheck) and, once it has
// run, the record of its results (.State.Health).
func addHealth(d *Container, c containers.Container, s containers.Settings) {
	d.Config.Healthcheck = s.Healthcheck
	rec := c.Health()
	if rec == nil {
		return
	}
	if d.Config.Healthcheck == nil {
		// A foreground --rm container keeps no settings: its record has
		// the check.
		d.Config.Healthcheck = rec.Check
	}
	st := rec.State
	d.State.Health = &st
}
