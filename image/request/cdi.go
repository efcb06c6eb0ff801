package request

// CDI is `urun run --device VENDOR/CLASS=NAME` and `--gpus`: urun-image
// resolves the CDI device names with the CDI library, from the specs in
// SpecDirs, and prints what they do to a container (package cdi's Edits)
// as JSON on its standard output.
type CDI struct {
	Devices  []string
	SpecDirs []string
}
