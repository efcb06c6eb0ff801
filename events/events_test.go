package events

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/config"
)

func readAll(t *testing.T, cfg *config.Config, o ReadOptions) []Message {
	t.Helper()
	var got []Message
	require.NoError(t, Read(context.Background(), Path(cfg), o, func(m Message) error {
		got = append(got, m)
		return nil
	}))
	return got
}

func TestRecordedEventsReadBackInDockersShape(t *testing.T) {
	cfg := &config.Config{RunRoot: t.TempDir()}
	Record(cfg, Event{Type: Container, Action: "die", ID: "abc", Name: "web", Attributes: map[string]string{"image": "alpine", "exitCode": "3"}, Time: 1_700_000_000_123456789})
	Record(cfg, Event{Type: Volume, Action: "create", ID: "v1", Attributes: map[string]string{"driver": "local"}})
	got := readAll(t, cfg, ReadOptions{})
	require.Len(t, got, 2)
	assert.Equal(t, Message{Status: "die", ID: "abc", From: "alpine", Type: "container", Action: "die",
		Actor: Actor{ID: "abc", Attributes: map[string]string{"image": "alpine", "exitCode": "3", "name": "web"}},
		Scope: "local", Time: 1_700_000_000, TimeNano: 1_700_000_000_123456789}, got[0])
	assert.Empty(t, got[1].Status, "the old fields are only container and image events'")
	assert.Equal(t, "2023-11-14T22:13:20.123456789Z container die abc (exitCode=3, image=alpine, name=web)",
		TextLine(Message{Type: "container", Action: "die", Actor: got[0].Actor, TimeNano: got[0].TimeNano, Time: got[0].Time}.inUTC()))
}

// inUTC is m, for a TextLine that does not depend on the test's zone.
func (m Message) inUTC() Message {
	time.Local = time.UTC
	return m
}

func TestRecordWithoutARunRootDoesNothing(t *testing.T) {
	Record(nil, Event{Type: Container, Action: "start"})
	Record(&config.Config{}, Event{Type: Container, Action: "start"})
}

func TestConcurrentRecordsKeepWholeLines(t *testing.T) {
	cfg := &config.Config{RunRoot: t.TempDir()}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				Record(cfg, Event{Type: Container, Action: "start", ID: fmt.Sprintf("%d-%d", w, i), Attributes: map[string]string{"pad": strings.Repeat("x", 1000)}})
			}
		}()
	}
	wg.Wait()
	assert.Len(t, readAll(t, cfg, ReadOptions{}), 400)
}

func TestAHugeAttributeIsDroppedToKeepTheLineWhole(t *testing.T) {
	cfg := &config.Config{RunRoot: t.TempDir()}
	Record(cfg, Event{Type: Container, Action: "create", ID: "a", Name: "n", Attributes: map[string]string{"label": strings.Repeat("x", 10000)}})
	got := readAll(t, cfg, ReadOptions{})
	require.Len(t, got, 1)
	assert.Equal(t, map[string]string{"name": "n"}, got[0].Actor.Attributes)
}

func TestTheLogIsRotatedPastItsBound(t *testing.T) {
	cfg := &config.Config{RunRoot: t.TempDir()}
	pad := strings.Repeat("x", 2000)
	n := MaxSize/2000 + 100
	for i := range n {
		Record(cfg, Event{Type: Image, Action: "tag", ID: fmt.Sprint(i), Attributes: map[string]string{"pad": pad}})
	}
	st, err := os.Stat(Path(cfg))
	require.NoError(t, err)
	assert.LessOrEqual(t, st.Size(), int64(MaxSize))
	got := readAll(t, cfg, ReadOptions{})
	assert.Equal(t, fmt.Sprint(n-1), got[len(got)-1].Actor.ID, "the newest events stay")
	assert.Greater(t, len(got), n/4)
	assert.Less(t, len(got), n)
}

func TestSinceAndUntilBoundTheEvents(t *testing.T) {
	cfg := &config.Config{RunRoot: t.TempDir()}
	base := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	for i := range 5 {
		Record(cfg, Event{Type: Volume, Action: "create", ID: fmt.Sprint(i), Time: base.Add(time.Duration(i) * time.Minute).UnixNano()})
	}
	got := readAll(t, cfg, ReadOptions{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)})
	var ids []string
	for _, m := range got {
		ids = append(ids, m.Actor.ID)
	}
	assert.Equal(t, []string{"1", "2", "3"}, ids)
}

func TestFollowingSeesNewEventsAndARotation(t *testing.T) {
	cfg := &config.Config{RunRoot: t.TempDir()}
	Record(cfg, Event{Type: Volume, Action: "create", ID: "old"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Read(ctx, Path(cfg), ReadOptions{Follow: true, PollInterval: 10 * time.Millisecond}, func(m Message) error {
			seen <- m.Actor.ID
			return nil
		})
	}()
	time.Sleep(50 * time.Millisecond)
	Record(cfg, Event{Type: Volume, Action: "create", ID: "new"})
	assert.Equal(t, "new", <-seen, "only events after it started")
	// A rotation keeps the newer half, which was seen already.
	data, err := os.ReadFile(Path(cfg))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(Path(cfg)+".new", data, 0o600))
	require.NoError(t, os.Rename(Path(cfg)+".new", Path(cfg)))
	time.Sleep(50 * time.Millisecond)
	Record(cfg, Event{Type: Volume, Action: "create", ID: "after"})
	assert.Equal(t, "after", <-seen)
	cancel()
	require.NoError(t, <-done)
	assert.Empty(t, seen)
}

func TestFiltersAsDocker(t *testing.T) {
	start := Event{Type: Container, Action: "start", ID: "0123456789ab", Name: "web", Attributes: map[string]string{"image": "alpine:3.20", "tier": "front"}}.Message()
	exec := Event{Type: Container, Action: "exec_start: sh -c date", ID: "0123456789ab", Name: "web"}.Message()
	pull := Event{Type: Image, Action: "pull", ID: "alpine:3.20", Name: "alpine"}.Message()
	netConnect := Event{Type: Network, Action: "connect", ID: "fedcba", Name: "net1", Attributes: map[string]string{"container": "0123456789ab"}}.Message()
	for _, tt := range []struct {
		filters []string
		m       Message
		want    bool
	}{
		{nil, start, true},
		{[]string{"type=container"}, start, true},
		{[]string{"type=image"}, start, false},
		{[]string{"type=image", "type=container"}, start, true},
		{[]string{"container=web"}, start, true},
		{[]string{"container=0123"}, start, true},
		{[]string{"container=db"}, start, false},
		{[]string{"container=web"}, netConnect, false},
		{[]string{"event=start", "container=web"}, start, true},
		{[]string{"event=die", "container=web"}, start, false},
		{[]string{"event=exec_start"}, exec, true},
		{[]string{"image=alpine"}, start, true},
		{[]string{"image=alpine:3.20"}, start, true},
		{[]string{"image=alpine"}, pull, true},
		{[]string{"image=busybox"}, pull, false},
		{[]string{"label=tier"}, start, true},
		{[]string{"label=tier=front"}, start, true},
		{[]string{"label=tier=back"}, start, false},
		{[]string{"network=net1"}, netConnect, true},
		{[]string{"network=fed"}, netConnect, true},
		{[]string{"volume=net1"}, netConnect, false},
	} {
		t.Run(strings.Join(tt.filters, ",")+" "+tt.m.Action, func(t *testing.T) {
			f, err := ParseFilters(tt.filters)
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.Match(tt.m))
		})
	}
	_, err := ParseFilters([]string{"bogus=1"})
	assert.EqualError(t, err, "invalid filter 'bogus'")
	_, err = ParseFilters([]string{"type"})
	assert.Error(t, err)
}

func TestTimestampsAsDocker(t *testing.T) {
	now := time.Date(2026, 12, 7, 4, 40, 0, 0, time.UTC)
	for _, tt := range []struct {
		value string
		want  time.Time
	}{
		{"10m", now.Add(-10 * time.Minute)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"1733546401", time.Unix(1733546401, 0)},
		{"1733546401.5", time.Unix(1733546401, 500_000_000)},
		{"0", time.Unix(0, 0)},
		{"2026-12-07T04:40:01Z", time.Date(2026, 12, 7, 4, 40, 1, 0, time.UTC)},
		{"2026-12-07T04:40:01.25+01:00", time.Date(2026, 12, 7, 3, 40, 1, 250_000_000, time.UTC)},
		{"2026-12-07", time.Date(2026, 12, 7, 0, 0, 0, 0, time.Local)},
		{"2026-12-07T04:40:01", time.Date(2026, 12, 7, 4, 40, 1, 0, time.Local)},
	} {
		t.Run(tt.value, func(t *testing.T) {
			got, err := ParseTimestamp(tt.value, now)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s, want %s", got, tt.want)
		})
	}
	_, err := ParseTimestamp("yesterday", now)
	assert.Error(t, err)
}

// BenchmarkRecord is what each event costs the command that records it.
func BenchmarkRecord(b *testing.B) {
	cfg := &config.Config{RunRoot: b.TempDir()}
	e := Event{Type: Container, Action: "start", ID: strings.Repeat("a", 64), Name: "web", Attributes: map[string]string{"image": "docker.io/library/alpine:latest"}}
	for b.Loop() {
		Record(cfg, e)
	}
}
