package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radbill/radbill/internal/testdb"
)

// TestRuleCommands: rules are added, listed, tested step by step and
// removed from the CLI; tariff export writes them to rules.csv and tariff
// import reads them back, replacing the rules only when a rules file is
// given, and refusing a bad rules file with its line while changing nothing.
func TestRuleCommands(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		e := newLimitsEnv(t, b)
		e.run(t, "rule", "add", "--direction", "called", "--kind", "regex", "--match", `^00(\d+)$`, "--replace", "$1", "--final", "--position", "1")
		e.run(t, "rule", "add", "--direction", "called", "--match", "0", "--replace", "359", "--min-length", "10", "--position", "2", "--description", "national")
		if out, err := radbill(t, e.config, "rule", "add", "--direction", "called", "--match", "0 8", "--replace", "359"); err == nil || !strings.Contains(out, "separator") {
			t.Errorf("a bad rule was added: %v\n%s", err, out)
		}
		list := e.run(t, "rule", "list")
		if strings.Count(list, "\n") != 3 || !strings.Contains(list, "national") {
			t.Fatalf("rule list:\n%s", list)
		}
		for number, want := range map[string][]string{
			"0888123456":     {"rule 2 (prefix \"0\" → \"359\"): 0888123456 → 359888123456", "result: 359888123456, can be rated"},
			"00359888123456": {"rule 1 (regex", "00359888123456 → 359888123456", "result: 359888123456"},
			"12345":          {"no rule fired", "result: 12345"},
		} {
			out := e.run(t, "rule", "test", number)
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("rule test %s lacks %q:\n%s", number, w, out)
				}
			}
		}

		dir := t.TempDir()
		e.run(t, "tariff", "export", dir)
		exported, err := os.ReadFile(filepath.Join(dir, "rules.csv"))
		if err != nil || !strings.Contains(string(exported), `1,,called,regex,^00(\d+)$,$1,0,0,yes,`) {
			t.Fatalf("rules.csv: %v\n%s", err, exported)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
		tariffOnly := []string{}
		for _, f := range files {
			if filepath.Base(f) != "rules.csv" {
				tariffOnly = append(tariffOnly, f)
			}
		}
		e.run(t, append([]string{"tariff", "import"}, tariffOnly...)...)
		if after := e.run(t, "rule", "list"); strings.Count(after, "\n") != 3 {
			t.Fatalf("an import without rules.csv changed the rules:\n%s", after)
		}

		bad := strings.Replace(string(exported), "called,prefix", "sideways,prefix", 1)
		if err := os.WriteFile(filepath.Join(dir, "rules.csv"), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := radbill(t, e.config, append([]string{"tariff", "import"}, files...)...)
		if err == nil || !strings.Contains(out, `rules.csv:3: direction "sideways"`) {
			t.Fatalf("bad rules.csv: %v\n%s", err, out)
		}
		one := strings.Join(strings.Split(string(exported), "\n")[:2], "\n") + "\n"
		if err := os.WriteFile(filepath.Join(dir, "rules.csv"), []byte(one), 0o600); err != nil {
			t.Fatal(err)
		}
		if out := e.run(t, append([]string{"tariff", "import"}, files...)...); !strings.Contains(out, "1 translation rules") {
			t.Errorf("import said %s", out)
		}
		after := e.run(t, "rule", "list")
		if strings.Count(after, "\n") != 2 || strings.Contains(after, "national") {
			t.Fatalf("after importing one rule:\n%s", after)
		}
		id := strings.Fields(strings.Split(after, "\n")[1])[0]
		e.run(t, "rule", "remove", id)
		if empty := e.run(t, "rule", "list"); strings.Count(empty, "\n") != 1 {
			t.Fatalf("after remove:\n%s", empty)
		}
		if _, err := radbill(t, e.config, "rule", "remove", id); err == nil {
			t.Error("removing a removed rule succeeded")
		}
	})
}
