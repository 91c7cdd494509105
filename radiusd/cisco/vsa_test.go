package cisco

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// vsa assembles a Vendor-Specific value from a vendor id and raw bytes.
func vsa(vendor uint32, body ...byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, vendor)
	return append(out, body...)
}

func TestParseVendorSpecific(t *testing.T) {
	setupTime := "h323-setup-time=14:30:25.429 GMT Wed Jan 23 2002"
	tests := []struct {
		name       string
		attr       []byte
		wantVendor uint32
		wantSubs   []SubAttribute
		wantErr    string
	}{
		{
			name:       "one cisco string",
			attr:       vsa(9, append([]byte{AttrSetupTime, byte(2 + len(setupTime))}, setupTime...)...),
			wantVendor: 9,
			wantSubs:   []SubAttribute{{AttrSetupTime, []byte(setupTime), 6}},
		},
		{
			name:       "two sub-attributes",
			attr:       vsa(9, AttrCallOrigin, 8, 'a', 'n', 's', 'w', 'e', 'r', AttrVoiceQuality, 3, '0'),
			wantVendor: 9,
			wantSubs:   []SubAttribute{{AttrCallOrigin, []byte("answer"), 6}, {AttrVoiceQuality, []byte("0"), 14}},
		},
		{
			name:       "empty value",
			attr:       vsa(9, AttrGatewayID, 2),
			wantVendor: 9,
			wantSubs:   []SubAttribute{{AttrGatewayID, []byte{}, 6}},
		},
		{
			name:       "other vendor is reported, not rejected",
			attr:       vsa(311, 1, 3, 'x'),
			wantVendor: 311,
			wantSubs:   []SubAttribute{{1, []byte("x"), 6}},
		},
		{name: "empty", attr: nil, wantErr: "vendor id"},
		{name: "vendor id truncated", attr: []byte{0, 0, 9}, wantErr: "vendor id"},
		{name: "vendor id only", attr: vsa(9), wantVendor: 9, wantErr: "no sub-attribute"},
		{name: "header truncated", attr: vsa(9, AttrConfID), wantVendor: 9, wantErr: "truncated at offset 4"},
		{name: "zero length would loop", attr: vsa(9, AttrConfID, 0, 'x'), wantVendor: 9, wantErr: "length 0"},
		{name: "length one", attr: vsa(9, AttrConfID, 1, 'x'), wantVendor: 9, wantErr: "length 1"},
		{name: "length lies past the end", attr: vsa(9, AttrConfID, 10, 'a', 'b'), wantVendor: 9, wantErr: "only 4 octets remain"},
		{name: "second sub-attribute lies", attr: vsa(9, AttrConfID, 3, 'a', AttrGatewayID, 255, 'b'), wantVendor: 9, wantErr: "offset 7"},
		{name: "trailing byte", attr: vsa(9, AttrConfID, 3, 'a', 0), wantVendor: 9, wantErr: "truncated at offset 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vendor, subs, err := ParseVendorSpecific(nil, tt.attr)
			if vendor != tt.wantVendor {
				t.Errorf("vendor = %d, want %d", vendor, tt.wantVendor)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if subs != nil {
					t.Errorf("subs = %v on error, want nil", subs)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(subs) != len(tt.wantSubs) {
				t.Fatalf("got %d sub-attributes, want %d", len(subs), len(tt.wantSubs))
			}
			for i, sub := range subs {
				if want := tt.wantSubs[i]; sub.Type != want.Type || !bytes.Equal(sub.Value, want.Value) || sub.Offset != want.Offset {
					t.Errorf("sub %d = {%d %q %d}, want {%d %q %d}", i, sub.Type, sub.Value, sub.Offset, want.Type, want.Value, want.Offset)
				}
				if !bytes.Equal(tt.attr[sub.Offset:sub.Offset+len(sub.Value)], sub.Value) {
					t.Errorf("sub %d: offset %d does not point at its value", i, sub.Offset)
				}
			}
		})
	}
}

// The documented contract: values alias the input and cannot grow into it.
func TestParseVendorSpecificValuesAliasInput(t *testing.T) {
	attr := vsa(9, AttrCallType, 6, 'V', 'o', 'I', 'P', AttrVoiceQuality, 3, '7')
	_, subs, err := ParseVendorSpecific(nil, attr)
	if err != nil {
		t.Fatal(err)
	}
	attr[6] = 'X'
	if string(subs[0].Value) != "XoIP" {
		t.Errorf("value %q did not see the change to the input: not a sub-slice", subs[0].Value)
	}
	if cap(subs[0].Value) != len(subs[0].Value) {
		t.Errorf("value cap %d > len %d: appending would overwrite the next sub-attribute", cap(subs[0].Value), len(subs[0].Value))
	}
	_ = append(subs[0].Value, '!')
	if attr[10] != AttrVoiceQuality {
		t.Errorf("appending to a value overwrote the input")
	}
}

// The sub-attributes are appended to the caller's slice; on error it gets nothing.
func TestParseVendorSpecificAppends(t *testing.T) {
	dst := []SubAttribute{{Type: 99}}
	_, subs, err := ParseVendorSpecific(dst, vsa(9, AttrCallType, 6, 'V', 'o', 'I', 'P', AttrVoiceQuality, 3, '7'))
	if err != nil || len(subs) != 3 || subs[0].Type != 99 || subs[1].Type != AttrCallType || string(subs[2].Value) != "7" {
		t.Fatalf("subs %v, %v", subs, err)
	}
	if _, subs, err := ParseVendorSpecific(dst, vsa(9, AttrCallType, 1)); err == nil || subs != nil {
		t.Errorf("a bad VSA: subs %v, err %v", subs, err)
	}
}

func TestNewVSA(t *testing.T) {
	tests := []struct {
		name     string
		attr     byte
		value    string
		wantBody string // sub-attribute value on the wire
	}{
		{"credit time", AttrCreditTime, "360", "h323-credit-time=360"},
		{"return code", AttrReturnCode, "0", "h323-return-code=0"},
		{"empty value keeps prefix", AttrPromptID, "", "h323-prompt-id="},
		{"AVPair sent as given", AttrAVPair, "h323-ivr-out=balance:12", "h323-ivr-out=balance:12"},
		{"optional AVPair", AttrAVPair, "subscriber*RegularLine", "subscriber*RegularLine"},
		{"SIP attribute", AttrCallID, "abc@10.0.0.1", "call-id=abc@10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewVSA(tt.attr, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			want := vsa(VendorID, append([]byte{tt.attr, byte(2 + len(tt.wantBody))}, tt.wantBody...)...)
			if !bytes.Equal(got, want) {
				t.Errorf("NewVSA(%d, %q) = %q, want %q", tt.attr, tt.value, got, want)
			}
		})
	}
}

func TestNewVSALimits(t *testing.T) {
	// h323-credit-amount= is 19 octets; with 6 octets of headers 228 more fill 253.
	prefixLen := len("h323-credit-amount=")
	fits := strings.Repeat("9", 253-6-prefixLen)
	if got, err := NewVSA(AttrCreditAmount, fits); err != nil || len(got) != 253 {
		t.Errorf("value filling 253 octets: len %d, err %v; want 253, nil", len(got), err)
	}
	if _, err := NewVSA(AttrCreditAmount, fits+"9"); err == nil {
		t.Error("value one octet over 253: no error")
	}
	if _, err := NewVSA(AttrAVPair, strings.Repeat("a", 248)+"="); err == nil {
		t.Error("AVPair of 249 octets (255 total): no error")
	}
	errorCases := []struct {
		name  string
		attr  byte
		value string
	}{
		{"undefined number 32", 32, "x"},
		{"number 0", 0, "x"},
		{"AVPair without separator", AttrAVPair, "no-separator"},
		{"AVPair with empty name", AttrAVPair, "=value"},
	}
	for _, tt := range errorCases {
		if got, err := NewVSA(tt.attr, tt.value); err == nil {
			t.Errorf("%s: NewVSA(%d, %q) = %q, want an error", tt.name, tt.attr, tt.value, got)
		}
	}
}

func TestStripName(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"h323-setup-time", "h323-setup-time=14:30:25.429 GMT Wed Jan 23 2002", "14:30:25.429 GMT Wed Jan 23 2002"},
		{"h323-setup-time", "H323-Setup-Time=14:30:25.429 GMT Wed Jan 23 2002", "14:30:25.429 GMT Wed Jan 23 2002"},
		{"h323-setup-time", "14:30:25.429 GMT Wed Jan 23 2002", "14:30:25.429 GMT Wed Jan 23 2002"},
		{"h323-gw-id", "h323-gw-id=", ""},
		{"h323-gw-id", "h323-gw-id", "h323-gw-id"},
		{"h323-gw-id", "h323-gw-id=a=b", "a=b"},
		{"h323-conf-id", "h323-incoming-conf-id=1 2 3 4", "h323-incoming-conf-id=1 2 3 4"}, // another name stays
		{"h323-conf-id", "h323-conf-idx=1", "h323-conf-idx=1"},
		{"h323-conf-id", "h323-conf-id:1", "h323-conf-id:1"},
		{"", "=value", "=value"},
		{"h323-gw-id", "", ""},
	}
	for _, tt := range tests {
		if got := StripName(tt.name, tt.value); got != tt.want {
			t.Errorf("StripName(%q, %q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestSplitAVPair(t *testing.T) {
	tests := []struct {
		in          string
		name, value string
		ok          bool
	}{
		{"h323-incoming-conf-id=931C146B 0F4411D6 AB5591F0 CBF3D765", "h323-incoming-conf-id", "931C146B 0F4411D6 AB5591F0 CBF3D765", true},
		{"subscriber*RegularLine", "subscriber", "RegularLine", true},
		{"shell:priv-lvl=15", "shell:priv-lvl", "15", true},
		{"h323-ivr-out=a=b*c", "h323-ivr-out", "a=b*c", true},
		{"name*a=b", "name", "a=b", true},
		{"empty-value=", "empty-value", "", true},
		{"=value", "", "", false},
		{"*value", "", "", false},
		{"no separator", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		name, value, ok := SplitAVPair(tt.in)
		if name != tt.name || value != tt.value || ok != tt.ok {
			t.Errorf("SplitAVPair(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, value, ok, tt.name, tt.value, tt.ok)
		}
	}
}

func BenchmarkParseVendorSpecific(b *testing.B) {
	attr, err := NewVSA(AttrSetupTime, "14:30:25.429 GMT Wed Jan 23 2002")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseVendorSpecific(nil, attr); err != nil {
			b.Fatal(err)
		}
	}
}
