package store

import (
	"encoding/json"
	"testing"

	"github.com/radbill/radbill/cdr"
)

func TestRawJSONIsValidJSON(t *testing.T) {
	attrs := []cdr.Attribute{{Name: "User-Name", Value: `quote " back \ tab` + "\t nl \n ctl \x01 del \x7f utf8 ü"}, {Name: "Empty", Value: ""}}
	var got [][2]string
	if err := json.Unmarshal([]byte(rawJSON(attrs)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0][0] != attrs[0].Name || got[0][1] != attrs[0].Value || got[1] != [2]string{"Empty", ""} {
		t.Fatalf("round trip: %q", got)
	}
	if rawJSON(nil) != "[]" {
		t.Fatal("empty list")
	}
}
