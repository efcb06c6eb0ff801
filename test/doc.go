// Package test is urun's integration suite. It drives the real binaries
// (bin/urun and bin/urun-image, found through $URUN_BIN_DIR) as an
// unprivileged user against a local registry that TestMain starts and fills
// with fixture images built from the host's static busybox (both from the
// package test/testbed, which `make bench` uses too).
//
// Run it with `make test` (as root: sets the host up, then runs the suite as
// the user uruntest) or `make integration`; see hack/test.sh.
package test
