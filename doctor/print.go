package doctor

import (
	"fmt"
	"io"
	"strings"
)

// PrintTable writes the report as CHECK STATUS DETAILS rows, each fix on
// its own indented line below its row, and a last line with the verdict.
func PrintTable(w io.Writer, r Report) error {
	nameWidth, statusWidth := len("CHECK"), len("STATUS")
	for _, c := range r.Checks {
		nameWidth, statusWidth = max(nameWidth, len(c.Name)), max(statusWidth, len(c.Status))
	}
	var b strings.Builder
	row := func(name, status, details string) {
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", nameWidth, name, statusWidth, status, details)
	}
	row("CHECK", "STATUS", "DETAILS")
	indent := strings.Repeat(" ", nameWidth+2)
	var warnings, problems int
	for _, c := range r.Checks {
		row(c.Name, string(c.Status), c.Message)
		switch c.Status {
		case Warning:
			warnings++
		case Problem:
			problems++
		}
		if c.Fix != "" && (c.Status == Warning || c.Status == Problem) {
			fmt.Fprintf(&b, "%sfix: %s\n", indent, c.Fix)
		}
	}
	switch {
	case problems > 0:
		fmt.Fprintf(&b, "\nurun cannot run containers here: %s, %s.\n", count(problems, "problem"), count(warnings, "warning"))
	case warnings > 0:
		fmt.Fprintf(&b, "\nurun can run containers here, with %s.\n", count(warnings, "warning"))
	default:
		b.WriteString("\nurun can run containers here.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
