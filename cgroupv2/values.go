package cgroupv2

import (
	"errors"
	"strconv"

	units "github.com/docker/go-units"
)

// StringValue is a flag value (a pflag.Value) that keeps its text in a
// Flags field once check accepts it. In Flags "" means "not given", so a
// value given empty must fail here, when the flag is parsed, as Docker's
// typed flags do.
type StringValue struct {
	p     *string
	check func(string) error
}

func (v StringValue) String() string { return *v.p }
func (v StringValue) Type() string   { return "string" }
func (v StringValue) Set(s string) error {
	if err := v.check(s); err != nil {
		return err
	}
	*v.p = s
	return nil
}

// SizeValue is the flag value of a size, such as 512m or 2g, kept in p;
// with minusOne, -1 (no limit) too.
func SizeValue(p *string, minusOne bool) StringValue {
	return StringValue{p: p, check: func(s string) error {
		if minusOne && s == "-1" {
			return nil
		}
		if n, err := units.RAMInBytes(s); err != nil || n <= 0 {
			return errors.New("give a size such as 512m or 2g")
		}
		return nil
	}}
}

// CPUsValue is the flag value of --cpus, a number of CPUs, kept in p.
func CPUsValue(p *string) StringValue {
	return StringValue{p: p, check: func(s string) error {
		if n, err := strconv.ParseFloat(s, 64); err != nil || !(n > 0) {
			return errors.New("give a positive number of CPUs, such as 0.5 or 2")
		}
		return nil
	}}
}
