package cisco

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/.

func FuzzParseVendorSpecific(f *testing.F) {
	f.Fuzz(func(t *testing.T, attr []byte) {
		vendor, subs, err := ParseVendorSpecific(nil, attr)
		if len(attr) < 4 {
			if err == nil || vendor != 0 {
				t.Fatalf("input of %d octets: vendor %d, err %v; want 0 and an error", len(attr), vendor, err)
			}
			return
		}
		if want := binary.BigEndian.Uint32(attr); vendor != want {
			t.Fatalf("vendor = %d, want %d", vendor, want)
		}
		if err != nil {
			if subs != nil {
				t.Fatalf("subs %v returned with error %v", subs, err)
			}
			return
		}
		if len(subs) == 0 {
			t.Fatal("no error and no sub-attributes")
		}
		// Walk the input alongside the result: every sub-attribute must be
		// the exact bytes at its place, aliasing the input, and together they
		// must cover the input with nothing left over.
		off := 4
		for i, sub := range subs {
			if off+2+len(sub.Value) > len(attr) {
				t.Fatalf("sub %d runs past the input", i)
			}
			if attr[off] != sub.Type || int(attr[off+1]) != 2+len(sub.Value) {
				t.Fatalf("sub %d = type %d len %d, input has type %d length %d", i, sub.Type, len(sub.Value), attr[off], attr[off+1])
			}
			if len(sub.Value) > 0 && &sub.Value[0] != &attr[off+2] {
				t.Fatalf("sub %d value does not alias the input at offset %d", i, off+2)
			}
			if cap(sub.Value) != len(sub.Value) {
				t.Fatalf("sub %d value cap %d exceeds len %d", i, cap(sub.Value), len(sub.Value))
			}
			off += 2 + len(sub.Value)
		}
		if off != len(attr) {
			t.Fatalf("sub-attributes cover %d of %d octets", off, len(attr))
		}
	})
}

func FuzzNewVSA(f *testing.F) {
	f.Fuzz(func(t *testing.T, attrType byte, value string) {
		encoded, err := NewVSA(attrType, value)
		name := AttrName(attrType)
		wireLen := 6 + len(value)
		if attrType != AttrAVPair {
			wireLen += len(name) + 1
		}
		_, _, isAVPair := SplitAVPair(value)
		mustFail := name == "" || wireLen > 253 || (attrType == AttrAVPair && !isAVPair)
		if mustFail != (err != nil) {
			t.Fatalf("NewVSA(%d, %q): err %v, want error: %v", attrType, value, err, mustFail)
		}
		if err != nil {
			return
		}
		if len(encoded) != wireLen {
			t.Fatalf("encoded %d octets, want %d", len(encoded), wireLen)
		}
		vendor, subs, err := ParseVendorSpecific(nil, encoded)
		if err != nil || vendor != VendorID || len(subs) != 1 || subs[0].Type != attrType {
			t.Fatalf("ParseVendorSpecific(NewVSA(%d, %q)) = %d, %v, %v", attrType, value, vendor, subs, err)
		}
		decoded := string(subs[0].Value)
		if attrType != AttrAVPair {
			decoded = StripName(name, decoded)
		}
		if decoded != value {
			t.Fatalf("round trip of %q through attribute %d gave %q", value, attrType, decoded)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	oneHourEast := time.FixedZone("UTC+1", 3600)
	f.Fuzz(func(t *testing.T, s string) {
		inUTC, errUTC := ParseTime(s, time.UTC)
		inEast, errEast := ParseTime(s, oneHourEast)
		if (errUTC == nil) != (errEast == nil) {
			t.Fatalf("%q: the fallback changed success: %v vs %v", s, errUTC, errEast)
		}
		if errUTC != nil {
			if inUTC != (Time{}) {
				t.Fatalf("%q: non-zero result %+v with error", s, inUTC)
			}
			return
		}
		if inUTC.Time.Location() != time.UTC || inEast.Time.Location() != time.UTC {
			t.Fatalf("%q: result not in UTC: %v, %v", s, inUTC.Time.Location(), inEast.Time.Location())
		}
		first := strings.TrimLeft(s, " \t")[0]
		if inUTC.NotAuthoritative != (first == '*') || inUTC.SyncLost != (first == '.') {
			t.Fatalf("%q: flags %+v do not match the leading %q", s, inUTC, first)
		}
		if inUTC.ZoneUnknown != inEast.ZoneUnknown {
			t.Fatalf("%q: ZoneUnknown depends on the fallback", s)
		}
		// Only an unknown zone may depend on the fallback, and then by exactly its offset.
		wantShift := time.Duration(0)
		if inUTC.ZoneUnknown {
			wantShift = time.Hour
		}
		if got := inUTC.Time.Sub(inEast.Time); got != wantShift {
			t.Fatalf("%q: fallback UTC vs UTC+1 differ by %v, want %v", s, got, wantShift)
		}
		// Printing the instant back in Cisco's format must give the same instant.
		if year := inUTC.Time.Year(); year >= 0 && year <= 9999 {
			again := inUTC.Time.Format("15:04:05.000000000 UTC Mon Jan 2 2006")
			reparsed, err := ParseTime(again, nil)
			if err != nil || !reparsed.Time.Equal(inUTC.Time) || reparsed.ZoneUnknown {
				t.Fatalf("%q: reparsing %q gave %+v, %v; want %v", s, again, reparsed, err, inUTC.Time)
			}
		}
	})
}

func FuzzSplitAVPair(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		name, value, ok := SplitAVPair(s)
		if !ok {
			if name != "" || value != "" {
				t.Fatalf("%q: not ok but returned %q, %q", s, name, value)
			}
			if i := strings.IndexAny(s, "=*"); i > 0 {
				t.Fatalf("%q: has a name before the separator at %d but was rejected", s, i)
			}
			return
		}
		if name == "" || strings.ContainsAny(name, "=*") {
			t.Fatalf("%q: bad name %q", s, name)
		}
		if separator := s[len(name)]; separator != '=' && separator != '*' {
			t.Fatalf("%q: name %q is not followed by a separator", s, name)
		}
		if name+s[len(name):len(name)+1]+value != s {
			t.Fatalf("%q: name %q and value %q do not rebuild the input", s, name, value)
		}
	})
}
