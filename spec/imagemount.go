package spec

// ImageType is the Type of a parsed --mount type=image (Source the
// image's name) until the container starts: then its layers are mounted
// at the destination by init, read-only unless it has the option "rw".
const ImageType = "image"

// ImageMount is a --mount type=image resolved into the image's layers,
// which init mounts as an overlay at Destination: read-only, or with
// Upper and Work, a writable layer of the container's.
type ImageMount struct {
	Destination string   `json:"destination"`
	Lower       []string `json:"lower"`
	LinkDir     string   `json:"link_dir,omitempty"`
	Upper       string   `json:"upper,omitempty"`
	Work        string   `json:"work,omitempty"`
}
