package health

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsReplaceTheFieldsOfTheImagesCheckTheyGive(t *testing.T) {
	image := &Check{Test: []string{"CMD", "probe"}, Interval: int64(time.Minute), Retries: 5}
	cases := []struct {
		name         string
		image, flags *Check
		want         *Check
	}{
		{"neither", nil, nil, nil},
		{"the image's alone", image, nil, image},
		{"the flags' alone", nil, &Check{Test: []string{"CMD-SHELL", "x"}}, &Check{Test: []string{"CMD-SHELL", "x"}}},
		{"an interval over the image's", image, &Check{Interval: int64(time.Second)},
			&Check{Test: []string{"CMD", "probe"}, Interval: int64(time.Second), Retries: 5}},
		{"a command over the image's", image, &Check{Test: []string{"CMD-SHELL", "x"}},
			&Check{Test: []string{"CMD-SHELL", "x"}, Interval: int64(time.Minute), Retries: 5}},
		{"--no-healthcheck", image, &Check{Test: []string{"NONE"}},
			&Check{Test: []string{"NONE"}, Interval: int64(time.Minute), Retries: 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Merge(c.image, c.flags))
		})
	}
	assert.False(t, Enabled(Merge(image, &Check{Test: []string{"NONE"}})))
}

func TestTheCheckCommand(t *testing.T) {
	cases := []struct {
		test []string
		want []string
		err  string
	}{
		{[]string{"CMD", "curl", "-f", "http://x/"}, []string{"curl", "-f", "http://x/"}, ""},
		{[]string{"CMD-SHELL", "curl -f http://x/ || exit 1"}, []string{"/bin/sh", "-c", "curl -f http://x/ || exit 1"}, ""},
		{[]string{"CMD"}, nil, "no command"},
		{[]string{"BOGUS", "x"}, nil, "unknown"},
		{[]string{"NONE"}, nil, "no health check"},
	}
	for _, c := range cases {
		got, err := Command(&Check{Test: c.test})
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, "%q", c.test)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
	}
}

func TestResultsMakeTheStatusAsDockers(t *testing.T) {
	started := time.Now()
	timing := TimingOf(&Check{Retries: 2, StartPeriod: int64(10 * time.Second)})
	pass := func(at time.Duration) Result { return Result{Start: started.Add(at), ExitCode: 0} }
	fail := func(at time.Duration) Result { return Result{Start: started.Add(at), ExitCode: 1} }
	cases := []struct {
		name    string
		results []Result
		status  string
		streak  int
	}{
		{"failures in the start period do not count", []Result{fail(time.Second), fail(2 * time.Second), fail(3 * time.Second)}, Starting, 0},
		{"a pass in the start period makes it healthy", []Result{fail(time.Second), pass(2 * time.Second)}, Healthy, 0},
		{"retries failures after it make it unhealthy", []Result{fail(11 * time.Second), fail(12 * time.Second)}, Unhealthy, 2},
		{"one failure fewer keeps it starting", []Result{fail(11 * time.Second)}, Starting, 1},
		{"failures of a healthy one count in the start period", []Result{pass(time.Second), fail(2 * time.Second), fail(3 * time.Second)}, Unhealthy, 2},
		{"a pass makes an unhealthy one healthy", []Result{fail(11 * time.Second), fail(12 * time.Second), pass(13 * time.Second)}, Healthy, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s State
			s.Reset()
			for _, r := range c.results {
				s.Apply(r, timing, started)
			}
			assert.Equal(t, c.status, s.Status)
			assert.Equal(t, c.streak, s.FailingStreak)
		})
	}
}

func TestTheRecordKeepsTheLastFiveResultsAndTheStartOfTheirOutput(t *testing.T) {
	var s State
	s.Reset()
	for i := range 7 {
		s.Apply(Result{ExitCode: i, Output: strings.Repeat("x", MaxOutput+i)}, TimingOf(&Check{}), time.Time{})
	}
	require.Len(t, s.Log, MaxLog)
	assert.Equal(t, 2, s.Log[0].ExitCode)
	assert.Len(t, s.Log[4].Output, MaxOutput)
}

func TestTheStartIntervalIsUsedWhileStartingInTheStartPeriod(t *testing.T) {
	timing := TimingOf(&Check{StartPeriod: int64(time.Minute)})
	assert.Equal(t, DefaultStartInterval, timing.NextWait(Starting, time.Second))
	assert.Equal(t, DefaultInterval, timing.NextWait(Healthy, time.Second))
	assert.Equal(t, DefaultInterval, timing.NextWait(Starting, 2*time.Minute))
	assert.Equal(t, DefaultInterval, TimingOf(&Check{}).NextWait(Starting, 0), "no start period: the first check waits the interval")
}

func TestUpdateChangesTheRecordInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "health.json")
	rec, err := Read(path)
	require.NoError(t, err)
	assert.Nil(t, rec)
	_, err = Update(path, func(r *Record) error {
		r.Check = &Check{Test: []string{"CMD", "true"}}
		r.Reset()
		return nil
	})
	require.NoError(t, err)
	got, err := Update(path, func(r *Record) error {
		r.Apply(Result{ExitCode: 0}, TimingOf(r.Check), time.Time{})
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, Healthy, got.Status)
	rec, err = Read(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"CMD", "true"}, rec.Check.Test)
	assert.Len(t, rec.Log, 1)
}
