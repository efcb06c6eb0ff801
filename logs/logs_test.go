package logs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// write writes chunks to the log at path, each to its stream.
func write(t *testing.T, path string, o Options, chunks ...[2]string) {
	t.Helper()
	w, err := Create(path, o)
	require.NoError(t, err)
	defer w.Close()
	for _, c := range chunks {
		_, err := w.Stream(c[0]).Write([]byte(c[1]))
		require.NoError(t, err)
	}
}

func read(t *testing.T, path string, o ReadOptions) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	require.NoError(t, Read(path, o, &stdout, &stderr))
	return stdout.String(), stderr.String()
}

func TestLogsKeepStreamsLinesAndPartsApart(t *testing.T) {
	tests := []struct {
		name           string
		chunks         [][2]string
		tail           int
		stdout, stderr string
	}{
		{"lines of both streams", [][2]string{{"stdout", "a\nb\n"}, {"stderr", "oops\n"}, {"stdout", "c\n"}}, -1, "a\nb\nc\n", "oops\n"},
		{"a line written in parts", [][2]string{{"stdout", "Name: "}, {"stdout", "Ada\n"}}, -1, "Name: Ada\n", ""},
		{"output ending without a newline", [][2]string{{"stdout", "prompt> "}}, -1, "prompt> ", ""},
		{"empty lines", [][2]string{{"stdout", "\n\nx\n"}}, -1, "\n\nx\n", ""},
		{"tail counts whole lines", [][2]string{{"stdout", "1\n2\n3"}, {"stdout", "4\n5\n"}}, 2, "34\n5\n", ""},
		{"tail 0", [][2]string{{"stdout", "1\n2\n"}}, 0, "", ""},
		{"tail beyond the log", [][2]string{{"stdout", "1\n2\n"}}, 10, "1\n2\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctr.log")
			write(t, path, Options{}, tt.chunks...)
			stdout, stderr := read(t, path, ReadOptions{Tail: tt.tail})
			assert.Equal(t, tt.stdout, stdout)
			assert.Equal(t, tt.stderr, stderr)
		})
	}
}

func TestLogFileIsK8sFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	write(t, path, Options{}, [2]string{"stdout", "hello world\npart"}, [2]string{"stderr", "bad\n"})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello world$`, lines[0])
	assert.Regexp(t, ` stdout P part$`, lines[1])
	assert.Regexp(t, ` stderr F bad$`, lines[2])
}

func TestLogsSinceUntilAndTimestamps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	log := "2026-12-02T10:00:00.000000000Z stdout F early\n" +
		"2026-12-02T10:05:00.000000000Z stdout F middle\n" +
		"2026-12-02T10:10:00.000000000Z stdout F late\n"
	require.NoError(t, os.WriteFile(path, []byte(log), 0o600))
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	tests := []struct {
		name string
		o    ReadOptions
		want string
	}{
		{"since", ReadOptions{Tail: -1, Since: at("2026-12-02T10:01:00Z")}, "middle\nlate\n"},
		{"until", ReadOptions{Tail: -1, Until: at("2026-12-02T10:06:00Z")}, "early\nmiddle\n"},
		{"both", ReadOptions{Tail: -1, Since: at("2026-12-02T10:01:00Z"), Until: at("2026-12-02T10:06:00Z")}, "middle\n"},
		{"timestamps", ReadOptions{Tail: 1, Timestamps: true}, "2026-12-02T10:10:00.000000000Z late\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _ := read(t, path, tt.o)
			assert.Equal(t, tt.want, stdout)
		})
	}
}

func TestLogRotatesAtMaxSizeKeepingMaxFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, err := Create(path, Options{MaxSize: 200, MaxFiles: 3})
	require.NoError(t, err)
	for i := range 20 {
		_, err := w.Stream("stdout").Write([]byte(strings.Repeat("x", 40) + string(rune('a'+i)) + "\n"))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		require.NoError(t, err, p)
		assert.LessOrEqual(t, st.Size(), int64(200), p)
	}
	assert.NoFileExists(t, path+".3", "max-file=3 keeps three files")
	stdout, _ := read(t, path, ReadOptions{Tail: -1})
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	assert.Equal(t, strings.Repeat("x", 40)+"t", lines[len(lines)-1], "the newest line is last")
	for i := 1; i < len(lines); i++ {
		assert.Less(t, lines[i-1], lines[i], "rotated files are read oldest first")
	}
}

func TestParseLogOptions(t *testing.T) {
	tests := []struct {
		driver  string
		opts    []string
		want    Options
		wantErr string
	}{
		{"", nil, Options{MaxFiles: 1}, ""},
		{"k8s-file", []string{"max-size=10m"}, Options{MaxSize: 10 << 20, MaxFiles: 1}, ""},
		{"", []string{"max-size=1k", "max-file=3"}, Options{MaxSize: 1024, MaxFiles: 3}, ""},
		{"json-file", []string{"max-size=1k", "env=A,B", "labels-regex=^x"}, Options{Driver: "json-file", MaxSize: 1024, MaxFiles: 1, Env: []string{"A", "B"}, LabelsRegex: "^x"}, ""},
		{"journald", []string{"tag={{.Name}}"}, Options{Driver: "journald", MaxFiles: 1, Tag: "{{.Name}}"}, ""},
		{"none", nil, Options{Driver: "none", MaxFiles: 1}, ""},
		{"", []string{"mode=blocking"}, Options{MaxFiles: 1}, ""},
		{"", []string{"max-size=lots"}, Options{}, "max-size=lots"},
		{"", []string{"max-file=0", "max-size=1k"}, Options{}, "max-file=0"},
		{"", []string{"max-file=2"}, Options{}, "max-file needs max-size"},
		{"json-file", []string{"compress=true"}, Options{}, "does not compress"},
		{"", []string{"max-size"}, Options{}, "want KEY=VALUE"},
		{"syslog", nil, Options{}, "want one of k8s-file, json-file, none, journald"},
		{"none", []string{"max-size=1k"}, Options{}, "takes no options"},
		{"json-file", []string{"tag=x"}, Options{}, "unknown option"},
		{"journald", []string{"max-size=1k"}, Options{}, "unknown option"},
		{"journald", []string{"tag={{.Nope"}, Options{}, "tag="},
		{"", []string{"env-regex=("}, Options{}, "env-regex"},
		{"", []string{"mode=non-blocking"}, Options{}, "only mode=blocking"},
	}
	for _, tt := range tests {
		t.Run(tt.driver+":"+strings.Join(tt.opts, ","), func(t *testing.T) {
			got, err := ParseOptions(tt.driver, tt.opts)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestJSONFileLogIsDockersFormatAndReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	o := Options{Driver: DriverJSONFile}
	write(t, path, o, [2]string{"stdout", "hello \"world\"\npart"}, [2]string{"stderr", "bad\n"})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^\{"log":"hello \\"world\\"\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT[\d:.]+Z"\}$`, lines[0])
	assert.Regexp(t, `^\{"log":"part","stream":"stdout",`, lines[1])
	assert.Regexp(t, `^\{"log":"bad\\n","stream":"stderr",`, lines[2])
	stdout, stderr := read(t, path, ReadOptions{Tail: -1})
	assert.Equal(t, "hello \"world\"\npart", stdout)
	assert.Equal(t, "bad\n", stderr)
	stdout, _ = read(t, path, ReadOptions{Tail: 1, Timestamps: true})
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z part$`, stdout)
}

func TestLogsDetailsPutTheAttributesBeforeEachLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	write(t, path, Options{}, [2]string{"stdout", "a\nb\n"})
	o := Options{Env: []string{"HOME"}, EnvRegex: "^APP_", Labels: []string{"team"}}
	attrs := o.Attrs(map[string]string{"team": "web", "other": "x"}, []string{"HOME=/root", "APP_MODE=prod", "PATH=/bin"})
	assert.Equal(t, map[string]string{"team": "web", "HOME": "/root", "APP_MODE": "prod"}, attrs)
	prefix := DetailsPrefix(attrs)
	assert.Equal(t, "APP_MODE=prod,HOME=/root,team=web ", prefix)
	stdout, _ := read(t, path, ReadOptions{Tail: -1, Details: prefix})
	assert.Equal(t, "APP_MODE=prod,HOME=/root,team=web a\nAPP_MODE=prod,HOME=/root,team=web b\n", stdout)
	assert.Equal(t, " ", DetailsPrefix(nil), "without attributes each line gets a space, as Docker's")
}

func TestJournalFieldsAreEncodedAsTheNativeProtocolWants(t *testing.T) {
	var b bytes.Buffer
	appendField(&b, journalKey("container_name"), "web")
	appendField(&b, journalKey("com.example-x"), "two\nlines")
	assert.Equal(t, "CONTAINER_NAME=web\nCOM_EXAMPLE_X\n\x09\x00\x00\x00\x00\x00\x00\x00two\nlines\n", b.String())
	e, ok := parseJournalEntry([]byte(`{"MESSAGE":[104,105],"PRIORITY":"3","__REALTIME_TIMESTAMP":"1764669600000000"}`))
	require.True(t, ok)
	assert.Equal(t, "hi", string(e.text))
	assert.True(t, e.stderr)
	assert.Equal(t, "2025-12-02T10:00:00.000000000Z", string(e.stamp))
}

func TestTagTemplates(t *testing.T) {
	f := TagFields{ID: "0123456789ab", FullID: "0123456789abcdef", Name: "web", ImageName: "busybox"}
	assert.Equal(t, "0123456789ab", Options{}.ExpandTag(f))
	assert.Equal(t, "web/busybox", Options{Tag: "{{.Name}}/{{.ImageName}}"}.ExpandTag(f))
}

func TestParseSinceAndUntil(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"10m", now.Add(-10 * time.Minute), false},
		{"2026-12-02T10:00:00Z", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), false},
		{"1764669600", time.Unix(1764669600, 0), false},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %v want %v", got, tt.want)
		})
	}
}
