package cisco

import "testing"

func TestAttrName(t *testing.T) {
	tests := []struct {
		attr byte
		want string
	}{
		{AttrAVPair, "Cisco-AVPair"},
		{AttrNASPort, "Cisco-NAS-Port"},
		{AttrConfID, "h323-conf-id"},
		{AttrSetupTime, "h323-setup-time"},
		{AttrDisconnectCause, "h323-disconnect-cause"},
		{AttrGatewayID, "h323-gw-id"},
		{AttrIncomingConfID, "h323-incoming-conf-id"},
		{AttrCreditTime, "h323-credit-time"},
		{AttrRedirectIPAddress, "h323-redirect-ip-address"},
		{AttrCurrency, "h323-currency"},
		{AttrSubscriber, "subscriber"},
		{AttrGWFinalXlatedCGN, "gw-final-xlated-cgn"},
		{AttrCallID, "call-id"},
		{AttrSIPHeader, "sip-hdr"},
		{AttrDSPID, "dsp-id"},
		{0, ""},
		{32, ""}, // not defined by Cisco
		{34, ""}, // not defined by Cisco
		{118, ""},
		{255, ""},
	}
	for _, tt := range tests {
		if got := AttrName(tt.attr); got != tt.want {
			t.Errorf("AttrName(%d) = %q, want %q", tt.attr, got, tt.want)
		}
	}
}

// Names double as value prefixes and dictionary names, so two numbers must
// never share one.
func TestAttrNamesAreUnique(t *testing.T) {
	seen := make(map[string]int)
	for number, name := range attrNames {
		if name == "" {
			continue
		}
		if previous, dup := seen[name]; dup {
			t.Errorf("attributes %d and %d are both named %q", previous, number, name)
		}
		seen[name] = number
	}
}
