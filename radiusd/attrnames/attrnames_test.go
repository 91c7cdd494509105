package attrnames

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radbill/radbill/radiusd/cisco"
)

// shippedDictionaries is the dictionary directory of the repository.
const shippedDictionaries = "../../dictionaries"

func loadShipped(t *testing.T) *Names {
	t.Helper()
	names, err := Load(shippedDictionaries)
	if err != nil {
		t.Fatalf("Load(%s): %v", shippedDictionaries, err)
	}
	return names
}

func TestShippedStandardNames(t *testing.T) {
	names := loadShipped(t)
	tests := []struct {
		attr byte
		want string
	}{
		{1, "User-Name"},
		{2, "User-Password"},
		{4, "NAS-IP-Address"},
		{5, "NAS-Port"},
		{6, "Service-Type"},
		{18, "Reply-Message"},
		{26, "Vendor-Specific"},
		{27, "Session-Timeout"},
		{30, "Called-Station-Id"},
		{31, "Calling-Station-Id"},
		{32, "NAS-Identifier"},
		{33, "Proxy-State"},
		{40, "Acct-Status-Type"},
		{41, "Acct-Delay-Time"},
		{44, "Acct-Session-Id"},
		{46, "Acct-Session-Time"},
		{49, "Acct-Terminate-Cause"},
		{51, "Acct-Link-Count"},
		{52, "Acct-Input-Gigawords"},
		{55, "Event-Timestamp"},
		{61, "NAS-Port-Type"},
		{63, "Login-LAT-Port"},
		{79, "EAP-Message"},
		{80, "Message-Authenticator"},
		{85, "Acct-Interim-Interval"},
		{87, "NAS-Port-Id"},
		{91, "Tunnel-Server-Auth-Id"},
		{0, "Attr-0"},
		{17, "Attr-17"}, // unassigned
		{54, "Attr-54"}, // unused
		{200, "Attr-200"},
		{255, "Attr-255"},
	}
	for _, tt := range tests {
		if got := names.Name(tt.attr); got != tt.want {
			t.Errorf("Name(%d) = %q, want %q", tt.attr, got, tt.want)
		}
	}
}

// Every number 1-63 that RFC 2865, 2866 or 2869 defines has its name.
func TestShippedDefinesEveryAttributeUpTo63(t *testing.T) {
	names := loadShipped(t)
	for attr := byte(1); attr <= 63; attr++ {
		unassigned := attr == 17 || attr == 21 || attr == 54 || (attr >= 56 && attr <= 59)
		if got := names.Name(attr); strings.HasPrefix(got, "Attr-") != unassigned {
			t.Errorf("Name(%d) = %q; unassigned in the RFCs: %v", attr, got, unassigned)
		}
	}
}

func TestShippedVendorNames(t *testing.T) {
	names := loadShipped(t)
	tests := []struct {
		vendor uint32
		attr   byte
		want   string
	}{
		{9, 1, "Cisco-AVPair"},
		{9, 2, "Cisco-NAS-Port"},
		{9, 24, "h323-conf-id"},
		{9, 25, "h323-setup-time"},
		{9, 30, "h323-disconnect-cause"},
		{9, 102, "h323-credit-time"},
		{9, 110, "h323-currency"},
		{9, 117, "gw-final-xlated-cgn"},
		{9, 151, "dsp-id"},
		{9, 32, "Attr-26.9.32"},
		{9, 255, "Attr-26.9.255"},
		{311, 1, "Attr-26.311.1"},
		{4294967295, 0, "Attr-26.4294967295.0"},
	}
	for _, tt := range tests {
		if got := names.VendorName(tt.vendor, tt.attr); got != tt.want {
			t.Errorf("VendorName(%d, %d) = %q, want %q", tt.vendor, tt.attr, got, tt.want)
		}
	}
}

// The Cisco dictionary file and package cisco's table must name the same
// attributes the same way: one names packets, the other builds replies.
func TestShippedCiscoDictionaryMatchesPackageCisco(t *testing.T) {
	names := loadShipped(t)
	for attr := 0; attr < 256; attr++ {
		want := cisco.AttrName(byte(attr))
		if want == "" {
			want = unknownVendorAttrName(cisco.VendorID, byte(attr))
		}
		if got := names.VendorName(cisco.VendorID, byte(attr)); got != want {
			t.Errorf("VendorName(9, %d) = %q, package cisco says %q", attr, got, want)
		}
	}
}

func TestShippedValues(t *testing.T) {
	names := loadShipped(t)
	tests := []struct {
		attr   byte
		value  uint32
		want   string
		wantOK bool
	}{
		{40, 1, "Start", true},
		{40, 2, "Stop", true},
		{40, 3, "Interim-Update", true},
		{40, 7, "Accounting-On", true},
		{40, 8, "Accounting-Off", true},
		{40, 4, "", false},
		{45, 1, "RADIUS", true},
		{49, 1, "User-Request", true},
		{49, 18, "Host-Request", true},
		{6, 2, "Framed-User", true},
		{6, 8, "Authenticate-Only", true},
		{7, 1, "PPP", true},
		{61, 0, "Async", true},
		{61, 19, "Wireless-802.11", true},
		{1, 1, "", false},   // a string attribute has no VALUEs
		{200, 0, "", false}, // not in the dictionary at all
	}
	for _, tt := range tests {
		got, ok := names.Value(tt.attr, tt.value)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Value(%d, %d) = %q, %v; want %q, %v", tt.attr, tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	names := loadShipped(t)
	lookups := map[string]func(){
		"Name known":         func() { _ = names.Name(40) },
		"Name unknown":       func() { _ = names.Name(17) },
		"VendorName known":   func() { _ = names.VendorName(9, 25) },
		"VendorName unknown": func() { _ = names.VendorName(9, 32) },
		"Value known":        func() { _, _ = names.Value(40, 3) },
		"Value unknown":      func() { _, _ = names.Value(200, 3) },
	}
	for name, lookup := range lookups {
		if allocs := testing.AllocsPerRun(100, lookup); allocs != 0 {
			t.Errorf("%s allocates %.0f times, want 0", name, allocs)
		}
	}
}

func TestNilNamesFallsBack(t *testing.T) {
	var names *Names
	if got := names.Name(40); got != "Attr-40" {
		t.Errorf("Name(40) = %q, want Attr-40", got)
	}
	if got := names.VendorName(9, 25); got != "Attr-26.9.25" {
		t.Errorf("VendorName(9, 25) = %q, want Attr-26.9.25", got)
	}
	if got, ok := names.Value(40, 3); ok {
		t.Errorf("Value(40, 3) = %q, true; want false", got)
	}
}

// copyShipped copies the shipped dictionaries into a temporary directory
// and returns it, so a test can add or break files.
func copyShipped(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(shippedDictionaries, "dictionary*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped dictionary files: %v", err)
	}
	for _, file := range files {
		content, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, filepath.Base(file), string(content))
	}
	return dir
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// includeFile appends an $INCLUDE line to the top dictionary file in dir.
func includeFile(t *testing.T, dir, name string) {
	t.Helper()
	top, err := os.ReadFile(filepath.Join(dir, topFile))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, topFile, string(top)+"$INCLUDE "+name+"\n")
}

func TestAddedVendorFileIsLoaded(t *testing.T) {
	dir := copyShipped(t)
	writeFile(t, dir, "dictionary.example", `# a vendor an operator added
VENDOR	Example	64999
BEGIN-VENDOR	Example
ATTRIBUTE	Example-Plan	1	string
ATTRIBUTE	Example-Quota	7	integer
END-VENDOR	Example
`)
	includeFile(t, dir, "dictionary.example")

	names, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names.VendorName(64999, 1); got != "Example-Plan" {
		t.Errorf("VendorName(64999, 1) = %q, want Example-Plan", got)
	}
	if got := names.VendorName(64999, 7); got != "Example-Quota" {
		t.Errorf("VendorName(64999, 7) = %q, want Example-Quota", got)
	}
	if got := names.VendorName(64999, 2); got != "Attr-26.64999.2" {
		t.Errorf("VendorName(64999, 2) = %q, want Attr-26.64999.2", got)
	}
	if got := names.VendorName(9, 25); got != "h323-setup-time" {
		t.Errorf("existing vendor lost: VendorName(9, 25) = %q", got)
	}
}

func TestLaterNameWinsEarlierValueWins(t *testing.T) {
	dir := copyShipped(t)
	writeFile(t, dir, "dictionary.local", `ATTRIBUTE	Local-Status	40	integer
VALUE	Acct-Status-Type	Alive	3
`)
	includeFile(t, dir, "dictionary.local")

	names, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names.Name(40); got != "Local-Status" {
		t.Errorf("Name(40) = %q, want the later name Local-Status", got)
	}
	if got, _ := names.Value(40, 3); got != "Interim-Update" {
		t.Errorf("Value(40, 3) = %q, want the first name Interim-Update", got)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		file     string // added to a copy of the shipped files and $INCLUDEd
		content  string
		wantErrs []string
	}{
		{
			name:     "unknown line",
			file:     "dictionary.broken",
			content:  "# fine\nATTRIBUTE\tGood\t1\tstring\nATTRIBUTE Broken 2\n",
			wantErrs: []string{"dictionary.broken:3", "unknown line"},
		},
		{
			name:     "bad type",
			file:     "dictionary.broken",
			content:  "ATTRIBUTE\tBroken\t2\tfloat\n",
			wantErrs: []string{"dictionary.broken:1", "float"},
		},
		{
			name:     "unclosed vendor block",
			file:     "dictionary.broken",
			content:  "VENDOR\tBroken\t64998\nBEGIN-VENDOR\tBroken\nATTRIBUTE\tBroken-A\t1\tstring\n",
			wantErrs: []string{"dictionary.broken:3", "unclosed"},
		},
		{
			name:     "VALUE of an unknown attribute",
			file:     "dictionary.broken",
			content:  "VALUE\tNo-Such-Attribute\tThing\t1\n",
			wantErrs: []string{"No-Such-Attribute"},
		},
		{
			name:     "file includes itself",
			file:     "dictionary.loop",
			content:  "$INCLUDE dictionary.loop\n",
			wantErrs: []string{"dictionary.loop:1", "more than once"},
		},
		{
			name:     "missing include",
			file:     "dictionary.missing",
			wantErrs: []string{"dictionary.missing", "no such file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyShipped(t)
			if tt.content != "" {
				writeFile(t, dir, tt.file, tt.content)
			}
			includeFile(t, dir, tt.file)
			names, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded with %s, want an error", tt.file)
			}
			if names != nil {
				t.Errorf("Load returned names with its error")
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Fatal("Load of a missing directory succeeded")
	}
}
