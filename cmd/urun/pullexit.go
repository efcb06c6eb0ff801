package main

import (
	"errors"

	"github.com/urun/urun/exitcode"
)

// runPullFailed is the failure of `run`'s (or `create`'s) pull of a
// missing image: the image helper said why and ended with pull's status
// (1, as Docker's pull); run ends with 125 for it, as Docker's run does.
func runPullFailed(err error) error {
	var exit *exitcode.Error
	if errors.As(err, &exit) && exit.Silent() {
		return exitcode.New(exitcode.Failed, nil)
	}
	return err
}
