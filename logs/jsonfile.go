package logs

import (
	"bytes"
	"encoding/json"
	"time"
)

// Docker's json-file format: one JSON object a line,
//
//	{"log":"the line's text\n","stream":"stdout","time":"2026-12-02T10:18:40.123456789Z"}
//
// where a line that was not finished when it was read has no "\n" at the
// end of its log text.
type jsonLine struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

func jsonEntry(buf *bytes.Buffer, now time.Time, stream string, line []byte, full bool) {
	text := string(line)
	if full {
		text += "\n"
	}
	data, err := json.Marshal(jsonLine{Log: text, Stream: stream, Time: now})
	if err != nil {
		return
	}
	buf.Write(data)
	buf.WriteByte('\n')
}

// parseJSONEntry reads one line of a json-file log.
func parseJSONEntry(line []byte) (entry, bool) {
	var j jsonLine
	if err := json.Unmarshal(line, &j); err != nil || j.Time.IsZero() {
		return entry{}, false
	}
	text := []byte(j.Log)
	partial := !bytes.HasSuffix(text, []byte{'\n'})
	if !partial {
		text = text[:len(text)-1]
	}
	return entry{
		time: j.Time, stderr: j.Stream == "stderr", partial: partial, text: text,
		stamp: []byte(j.Time.UTC().Format(timeLayout)),
	}, true
}
