// Command urun-init is the container's init and `urun exec`'s stage
// (package stage's Init and Exec), apart from urun: a process's start
// costs a page fault for every page its packages' initialisation touches,
// and this binary links a third of urun's packages, which halves the Go
// start of every container and every exec. urun finds it beside itself
// (stage.Command) and runs its own binary instead when it is missing. A
// container with a port child runs urun's binary: the port child is
// rootlesskit's, which this one leaves out.
package main

import (
	"fmt"
	"os"

	"github.com/urun/urun/inside"
	"github.com/urun/urun/stage"
)

func main() {
	switch stage.Current() {
	case stage.Init:
		os.Exit(inside.Main())
	case stage.Exec:
		os.Exit(inside.ExecMain())
	}
	fmt.Fprintln(os.Stderr, "urun-init: this program runs a container's init for urun; run urun instead")
	os.Exit(125)
}
