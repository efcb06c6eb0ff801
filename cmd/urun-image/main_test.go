//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/image/request"
)

// Each command a request can hold has its work here: a command added to
// package request and forgotten here fails.
func TestEveryRequestUrunSendsHasItsCommand(t *testing.T) {
	rt := reflect.TypeOf(request.Request{})
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Type.Kind() != reflect.Pointer {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			var r request.Request
			reflect.ValueOf(&r).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
			assert.NotEmpty(t, r.Command())
			_, err := prepare(r)
			if err != nil {
				assert.NotContains(t, err.Error(), "no command urun-image knows")
			}
		})
	}
}
