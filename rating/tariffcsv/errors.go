package tariffcsv

import (
	"fmt"
	"strings"
)

// FieldError is one problem in a file, e.g.
// `rates.csv:14: field "next_increment": must be ≥ 1, got "0"`.
type FieldError struct {
	File    string
	Line    int    // 0 when the problem is the whole file
	Field   string // "" when the problem is the whole line
	Message string
}

func (e *FieldError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Message
	}
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s:%d: field %q: %s", e.File, e.Line, e.Field, e.Message)
}

// ErrorList is every problem found in the files read, in file and line
// order, one per line of Error().
type ErrorList struct {
	Errors []*FieldError
	// Omitted counts problems beyond maxErrors, which are not listed: a file
	// of the wrong kind of data would otherwise give a message a row.
	Omitted int
}

const maxErrors = 1000

func (l *ErrorList) Error() string {
	lines := make([]string, 0, len(l.Errors)+1)
	for _, e := range l.Errors {
		lines = append(lines, e.Error())
	}
	if l.Omitted > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more errors", l.Omitted))
	}
	return strings.Join(lines, "\n")
}

func (l *ErrorList) add(e *FieldError) {
	if len(l.Errors) >= maxErrors {
		l.Omitted++
		return
	}
	l.Errors = append(l.Errors, e)
}

func (l *ErrorList) count() int { return len(l.Errors) + l.Omitted }

// orNil returns l as an error, or nil when it holds none: a nil *ErrorList
// in an error interface would not be nil.
func (l *ErrorList) orNil() error {
	if l.count() == 0 {
		return nil
	}
	return l
}
