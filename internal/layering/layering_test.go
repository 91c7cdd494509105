// Package layering checks the direction of radbill's imports: data flows
// from the sources (radiusd, the importers) through billing to the store,
// never back, so that any CDR source can use the billing path without the
// RADIUS server. See docs/ARCHITECTURE.md.
package layering

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/radbill/radbill"

// pkg is what go list says of one package.
type pkg struct {
	ImportPath string
	Imports    []string // direct, without tests
	Deps       []string // transitive, without tests
}

func list(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module+"/")] = p
	}
	return pkgs
}

// under reports whether path is the package dir or one below it.
func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

func TestLayering(t *testing.T) {
	pkgs := list(t)
	if len(pkgs) < 15 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	// Only cmd/ wires the RADIUS server in.
	for name, p := range pkgs {
		if under(name, "cmd") || under(name, "radiusd") {
			continue
		}
		for _, dep := range p.Deps {
			if under(strings.TrimPrefix(dep, module+"/"), "radiusd") && strings.HasPrefix(dep, module+"/") {
				t.Errorf("%s imports %s: only cmd/ may import the RADIUS server", name, dep)
			}
		}
	}
	for _, name := range []string{"store", "limits", "billing", "rating", "cdr", "org", "report", "export"} {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("package %s is missing", name)
		}
	}
	// The rating engine is pure: no files, network or database.
	io := []string{"os", "os/exec", "net", "net/http", "database/sql", "io/fs", "syscall", "github.com/jmoiron/sqlx"}
	for _, imp := range pkgs["rating"].Imports {
		if slices.Contains(io, imp) || strings.HasPrefix(imp, module+"/") {
			t.Errorf("rating imports %s; it must do no I/O and depend on no other radbill package", imp)
		}
	}
	// Reports only read: they know the store and the owners' money, never
	// the billing path or a source; export writes tables and knows nothing
	// of where they come from.
	for _, dep := range pkgs["report"].Deps {
		for _, forbidden := range []string{"billing", "cdrimport", "radiusd", "cucm", "asterisk"} {
			if under(strings.TrimPrefix(dep, module+"/"), forbidden) {
				t.Errorf("report imports %s: reports read the summaries, they do not bill", dep)
			}
		}
	}
	for _, imp := range pkgs["export"].Imports {
		if strings.HasPrefix(imp, module+"/") && imp != module+"/rating" {
			t.Errorf("export imports %s; it writes tables and depends on no radbill package but rating (Money)", imp)
		}
	}
	// Each package owns its configuration: config reads the file and the
	// environment, and knows no other radbill package.
	for _, dep := range pkgs["config"].Deps {
		if strings.HasPrefix(dep, module+"/") {
			t.Errorf("config imports %s", dep)
		}
	}
}
