// Package mdcheck finds what breaks a Markdown file on GitHub: tables whose
// rows have different numbers of cells than their header, and relative
// links to files that do not exist or lie outside the repository.
package mdcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Problem is one defect, at a line of a file.
type Problem struct {
	File string
	Line int
	Text string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Text) }

// Check reads the Markdown file path, inside the repository at root.
func Check(root, path string) ([]Problem, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(content), "\n")
	problems := Tables(rel, lines)
	return append(problems, Links(root, rel, lines)...), nil
}

var delimiterRow = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)

// Tables checks that every row of each table (a header row followed by a
// delimiter row such as |---|---|) has as many cells as the header.
// Fenced code blocks are skipped.
func Tables(file string, lines []string) []Problem {
	var problems []Problem
	fenced := false
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced || i+1 >= len(lines) || !strings.Contains(line, "|") || !delimiterRow.MatchString(strings.TrimSpace(lines[i+1])) {
			continue
		}
		want := cells(line)
		if got := cells(strings.TrimSpace(lines[i+1])); got != want {
			problems = append(problems, Problem{file, i + 2, fmt.Sprintf("table delimiter row has %d cells, the header %d", got, want)})
		}
		for j := i + 2; j < len(lines) && strings.Contains(lines[j], "|") && strings.TrimSpace(lines[j]) != ""; j++ {
			if got := cells(strings.TrimSpace(lines[j])); got != want {
				problems = append(problems, Problem{file, j + 1, fmt.Sprintf("table row has %d cells, the header %d", got, want)})
			}
			i = j
		}
	}
	return problems
}

// cells counts a row's cells: its unescaped pipes, less the leading and
// trailing ones (GitHub splits cells at a pipe even inside `code`).
func cells(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	if strings.HasPrefix(row, "|") {
		n--
	}
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) && len(row) > 1 {
		n--
	}
	return n + 1
}

var link = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// Links checks that every relative link of the file (a path from the file's
// directory, with an optional #anchor) names a file or directory that
// exists inside the repository at root. Links in code are skipped.
func Links(root, file string, lines []string) []Problem {
	var problems []Problem
	fenced := false
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range mdPath.FindAllStringSubmatch(line, -1) {
			// A Markdown file named in code is a reference a reader follows
			// by hand: it must exist, from the file's directory or the root.
			if !exists(filepath.Join(root, filepath.Dir(file), m[1])) && !exists(filepath.Join(root, m[1])) {
				problems = append(problems, Problem{file, i + 1, fmt.Sprintf("`%s` names a file that is not in the repository", m[1])})
			}
		}
		for _, m := range link.FindAllStringSubmatch(withoutCodeSpans(line), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			resolved := filepath.Join(root, filepath.Dir(file), filepath.FromSlash(target))
			if rel, err := filepath.Rel(root, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				problems = append(problems, Problem{file, i + 1, fmt.Sprintf("link %q points outside the repository", m[1])})
				continue
			}
			if _, err := os.Stat(resolved); err != nil {
				problems = append(problems, Problem{file, i + 1, fmt.Sprintf("link %q: no such file", m[1])})
			}
		}
	}
	return problems
}

var (
	codeSpan = regexp.MustCompile("`[^`]*`")
	mdPath   = regexp.MustCompile("`([\\w.-]+/[\\w./-]*\\.md)`")
)

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func withoutCodeSpans(line string) string { return codeSpan.ReplaceAllString(line, "") }
