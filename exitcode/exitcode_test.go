package exitcode

import (
	"errors"
	"fmt"
	"os/exec"
	"testing"
)

func TestACommandsEndBecomesUrunsStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  []string
		want int
	}{
		{"ends well", []string{"true"}, 0},
		{"exits 3", []string{"sh", "-c", "exit 3"}, 3},
		{"killed by SIGKILL", []string{"sh", "-c", "kill -9 $$"}, 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromWait(exec.Command(tc.cmd[0], tc.cmd[1:]...).Run())
			if err != nil || got != tc.want {
				t.Fatalf("FromWait = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestAWrappedErrorKeepsItsCode(t *testing.T) {
	err := fmt.Errorf("start: %w", New(NotFound, errors.New("not found")))
	if Of(err) != NotFound {
		t.Fatalf("Of = %d, want %d", Of(err), NotFound)
	}
	if Of(errors.New("plain")) != Failed {
		t.Fatal("a plain error must be urun's own failure")
	}
	if !New(3, nil).Silent() || New(3, errors.New("x")).Silent() {
		t.Fatal("Silent is wrong")
	}
}
