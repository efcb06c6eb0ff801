package hostinfo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/idmap"
)

// urun doctor bounds its trials: a probe stage that never answers (a hung
// mount, a helper waiting on a directory service) must not hang it.
func TestRunProbeGivesUpOnAStageThatNeverAnswers(t *testing.T) {
	silent := filepath.Join(t.TempDir(), "silent")
	require.NoError(t, os.WriteFile(silent, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := RunProbe(ctx, silent, idmap.Single(uint32(os.Getuid()), uint32(os.Getgid())), t.TempDir())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}
