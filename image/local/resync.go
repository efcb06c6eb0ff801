package local

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urun/urun/atomicfile"
)

// IDs lists the images that have a record under graphRoot.
func IDs(graphRoot string) ([]string, error) {
	entries, err := os.ReadDir(Dir(graphRoot))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list image records: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && id != "names" && !strings.HasPrefix(id, ".") {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// RewriteNames replaces the names file with the names of the records of
// ids, so that a name an image lost (untagged, or its image deleted) no
// longer leads to it. Write only ever adds names.
func RewriteNames(graphRoot string, ids []string) error {
	names := map[string]string{}
	for _, id := range ids {
		img, err := read(graphRoot, id)
		if err != nil {
			return err
		}
		for _, n := range img.Names {
			names[n] = id
		}
	}
	if err := os.MkdirAll(Dir(graphRoot), 0o700); err != nil {
		return fmt.Errorf("create image record directory: %w", err)
	}
	return atomicfile.WriteJSON(namesPath(graphRoot), names)
}
