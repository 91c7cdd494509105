package mdcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestTables(t *testing.T) {
	doc := strings.Split(strings.Join([]string{
		"| a | b |",
		"|---|---|",
		"| 1 | 2 |",
		"| 1 | 2 | 3 |",
		"",
		"| key | default | | meaning |",
		"|---|---|---|---|---|",
		"| x | `a\\|b` | | y |",
		"",
		"```",
		"| not | a | table |",
		"|---|",
		"```",
	}, "\n"), "\n")
	var got []string
	for _, p := range Tables("doc.md", doc) {
		got = append(got, p.String())
	}
	want := []string{"doc.md:4: table row has 3 cells, the header 2", "doc.md:7: table delimiter row has 5 cells, the header 4"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLinks(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"README.md", "docs/guide.md"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc := []string{
		"[up](../README.md#top) [here](#anchor) [web](https://example.com/x.md) [dir](.)",
		"[gone](missing.md) `[code](nope.md)` [out](../../etc/passwd)",
		"see `docs/guide.md`, `shared/reference/cisco.md` and `a.md`",
	}
	var got []string
	for _, p := range Links(root, "docs/guide.md", doc) {
		got = append(got, p.String())
	}
	want := []string{`docs/guide.md:2: link "missing.md": no such file`, `docs/guide.md:2: link "../../etc/passwd" points outside the repository`,
		"docs/guide.md:3: `shared/reference/cisco.md` names a file that is not in the repository"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRepositoryMarkdown checks every Markdown file git knows in this
// repository.
func TestRepositoryMarkdown(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "*.md").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Fields(string(out))
	if len(files) < 3 { // README, SCHEMA, the tariff and Tcl guides at least
		t.Fatalf("found only %d Markdown files: %v", len(files), files)
	}
	for _, f := range files {
		problems, err := Check(root, filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
}
