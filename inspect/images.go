package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/image/request"
)

// HelperImages looks refs up as images with the image helper (`urun`
// does not link the store), for Options.Images.
func HelperImages(store request.Store) func(refs []string) ([]imagedoc.Result, error) {
	return func(refs []string) ([]imagedoc.Result, error) {
		var out bytes.Buffer
		r := request.Request{Store: store, Inspect: &request.Inspect{Images: refs, Raw: true}}
		if err := helper.RunTo(r, &out); err != nil {
			return nil, err
		}
		var results []imagedoc.Result
		if err := json.Unmarshal(out.Bytes(), &results); err != nil {
			return nil, fmt.Errorf("read the image helper's answer: %w", err)
		}
		if len(results) != len(refs) {
			return nil, fmt.Errorf("the image helper answered %d of %d images", len(results), len(refs))
		}
		return results, nil
	}
}
