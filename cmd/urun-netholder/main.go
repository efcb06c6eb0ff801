// Command urun-netholder holds a user's networks (package usernet/holder):
// urun starts it, as the stage urun-netholder, when the first container
// needs a network. It is a program of its own because it links netlink,
// nftables and a DNS server, which urun's containers never need, and
// because the first container of a network waits for its start: a small
// binary starts in a few milliseconds.
package main

import (
	"fmt"
	"os"

	"github.com/urun/urun/stage"
	"github.com/urun/urun/usernet/holder"
)

func main() {
	if stage.Current() == stage.NetHolder {
		os.Exit(holder.Main())
	}
	fmt.Fprintln(os.Stderr, "urun-netholder: this program holds urun's networks; urun starts it when a container needs one")
	os.Exit(125)
}
