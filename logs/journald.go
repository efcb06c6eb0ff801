package logs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// JournalSocket is journald's native protocol socket (a variable for
// the tests).
var JournalSocket = "/run/systemd/journal/socket"

// CheckJournal says why the journal cannot be written to, if it cannot:
// --log-driver journald fails before anything is made.
func CheckJournal() error {
	if _, err := os.Stat(JournalSocket); err != nil {
		return fmt.Errorf("--log-driver journald: the journal's socket %s is not there (is systemd-journald running?): %w", JournalSocket, err)
	}
	return nil
}

// Journal sends a container's output to journald, one entry per line (a
// line not finished when it was read is sent as it is, with
// CONTAINER_PARTIAL_MESSAGE=true), with the container's fields.
type Journal struct {
	conn *net.UnixConn
	// fields are the encoded fields every entry carries.
	fields []byte
	mu     sync.Mutex
}

// OpenJournal connects to journald. fields are KEY: value, sent with each
// entry (keys are made journal field names: upper case, [A-Z0-9_]).
func OpenJournal(fields map[string]string) (*Journal, error) {
	if err := CheckJournal(); err != nil {
		return nil, err
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: JournalSocket, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("--log-driver journald: open a socket to the journal: %w", err)
	}
	var enc bytes.Buffer
	for k, v := range fields {
		appendField(&enc, journalKey(k), v)
	}
	return &Journal{conn: conn, fields: enc.Bytes()}, nil
}

// journalKey makes a journal field name of k: journald takes only upper
// case letters, digits and _, not first.
func journalKey(k string) string {
	b := []byte(strings.ToUpper(k))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), "_0123456789")
	if s == "" {
		return "X"
	}
	return s
}

// appendField encodes one field of the native protocol: KEY=value, or for
// a value with a newline, KEY, a newline, its length (64-bit little
// endian), the value and a newline.
func appendField(buf *bytes.Buffer, key, value string) {
	if !strings.Contains(value, "\n") {
		buf.WriteString(key + "=" + value + "\n")
		return
	}
	buf.WriteString(key + "\n")
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(value)))
	buf.Write(n[:])
	buf.WriteString(value + "\n")
}

// Close closes the connection.
func (j *Journal) Close() error { return j.conn.Close() }

// Stream returns a writer of entries of stream name: PRIORITY 6 (info)
// for stdout, 3 (err) for stderr, as Docker's driver sends them.
func (j *Journal) Stream(name string) io.Writer {
	priority := "6"
	if name == "stderr" {
		priority = "3"
	}
	return journalStream{j: j, priority: priority}
}

// maxJournalLine is the most of a line one entry carries, as Docker's
// driver splits them (16 KiB): a datagram to journald must stay small.
const maxJournalLine = 16 << 10

type journalStream struct {
	j        *Journal
	priority string
}

func (s journalStream) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		line, after, full := bytes.Cut(rest, []byte{'\n'})
		if len(line) > maxJournalLine {
			// A datagram has a size limit: a long line goes in parts.
			line, after, full = line[:maxJournalLine], rest[maxJournalLine:], false
		}
		var buf bytes.Buffer
		buf.Write(s.j.fields)
		appendField(&buf, "PRIORITY", s.priority)
		if !full {
			appendField(&buf, "CONTAINER_PARTIAL_MESSAGE", "true")
		}
		appendField(&buf, "MESSAGE", string(line))
		s.j.mu.Lock()
		_, err := s.j.conn.Write(buf.Bytes())
		s.j.mu.Unlock()
		if err != nil {
			return 0, fmt.Errorf("write to the journal: %w", err)
		}
		rest = after
	}
	return len(p), nil
}

// ReadJournal prints the container's entries from the journal (those with
// CONTAINER_ID_FULL=id) through journalctl, which must be installed, with
// the same options as Read.
func ReadJournal(id string, o ReadOptions, stdout, stderr io.Writer) error {
	path, err := exec.LookPath("journalctl")
	if err != nil {
		return fmt.Errorf("the container logs to the journal, and journalctl, which reads it, is not installed: %w", err)
	}
	args := []string{"--no-pager", "-q", "-o", "json", "CONTAINER_ID_FULL=" + id}
	if o.Tail >= 0 {
		args = append(args, "-n", strconv.Itoa(o.Tail))
	}
	if o.Follow {
		args = append(args, "-f")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("read the journal: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("read the journal: %w", err)
	}
	if o.Follow {
		// journalctl -f never ends by itself: it ends once the container
		// did (and what it wrote last had time to be read).
		go func() {
			for o.Running != nil && o.Running() {
				time.Sleep(pollInterval)
			}
			time.Sleep(4 * pollInterval)
			cancel()
		}()
	}
	o.Tail = -1 // journalctl picked the lines
	p := &printer{o: o, stdout: stdout, stderr: stderr, lineStart: [2]bool{true, true}}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		e, ok := parseJournalEntry(sc.Bytes())
		if !ok {
			continue
		}
		if err := p.print(e); err != nil {
			return err
		}
	}
	if err := cmd.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read the journal with journalctl: %v: %s", err, strings.TrimSpace(errOut.String()))
	}
	return nil
}

// parseJournalEntry reads one entry of journalctl -o json: MESSAGE is a
// string, or an array of bytes when it is not UTF-8.
func parseJournalEntry(line []byte) (entry, bool) {
	var j struct {
		Message  json.RawMessage `json:"MESSAGE"`
		Priority string          `json:"PRIORITY"`
		Partial  string          `json:"CONTAINER_PARTIAL_MESSAGE"`
		Realtime string          `json:"__REALTIME_TIMESTAMP"`
	}
	if err := json.Unmarshal(line, &j); err != nil {
		return entry{}, false
	}
	var text []byte
	var s string
	var raw []int
	switch {
	case json.Unmarshal(j.Message, &s) == nil:
		text = []byte(s)
	case json.Unmarshal(j.Message, &raw) == nil:
		for _, b := range raw {
			text = append(text, byte(b))
		}
	}
	usec, _ := strconv.ParseInt(j.Realtime, 10, 64)
	t := time.UnixMicro(usec).UTC()
	return entry{
		time: t, stderr: j.Priority == "3", partial: j.Partial == "true", text: text,
		stamp: []byte(t.Format(timeLayout)),
	}, true
}
