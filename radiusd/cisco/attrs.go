package cisco

// VendorID is Cisco's SMI private enterprise number, the vendor id of its
// Vendor-Specific attributes.
const VendorID = 9

// Attribute numbers of vendor 9. All of them carry strings.
const (
	AttrAVPair             byte = 1
	AttrNASPort            byte = 2
	AttrRemoteAddress      byte = 23
	AttrConfID             byte = 24
	AttrSetupTime          byte = 25
	AttrCallOrigin         byte = 26
	AttrCallType           byte = 27
	AttrConnectTime        byte = 28
	AttrDisconnectTime     byte = 29
	AttrDisconnectCause    byte = 30
	AttrVoiceQuality       byte = 31
	AttrGatewayID          byte = 33
	AttrIncomingConfID     byte = 35
	AttrSIPConfID          byte = 100 // reserved by Cisco; named so it is recognised if seen
	AttrCreditAmount       byte = 101
	AttrCreditTime         byte = 102
	AttrReturnCode         byte = 103
	AttrPromptID           byte = 104
	AttrTimeAndDay         byte = 105
	AttrRedirectNumber     byte = 106
	AttrPreferredLang      byte = 107
	AttrRedirectIPAddress  byte = 108
	AttrBillingModel       byte = 109
	AttrCurrency           byte = 110
	AttrSubscriber         byte = 111
	AttrGWRxdCDN           byte = 112 // called number as received by the gateway
	AttrGWFinalXlatedCDN   byte = 113 // called number after the gateway's translation rules
	AttrRemoteMediaAddress byte = 114
	AttrReleaseSource      byte = 115
	AttrGWRxdCGN           byte = 116 // calling number as received by the gateway
	AttrGWFinalXlatedCGN   byte = 117 // calling number after the gateway's translation rules
	AttrCallID             byte = 141
	AttrSessionProtocol    byte = 142
	AttrMethod             byte = 143
	AttrPrevHopVia         byte = 144
	AttrPrevHopIP          byte = 145
	AttrIncomingReqURI     byte = 146
	AttrOutgoingReqURI     byte = 147
	AttrNextHopIP          byte = 148
	AttrNextHopDN          byte = 149
	AttrSIPHeader          byte = 150
	AttrDSPID              byte = 151
)

// attrNames is indexed by attribute number so AttrName is a single load.
// The names are the ones IOS repeats as the value prefix.
var attrNames = [256]string{
	AttrAVPair:             "Cisco-AVPair",
	AttrNASPort:            "Cisco-NAS-Port",
	AttrRemoteAddress:      "h323-remote-address",
	AttrConfID:             "h323-conf-id",
	AttrSetupTime:          "h323-setup-time",
	AttrCallOrigin:         "h323-call-origin",
	AttrCallType:           "h323-call-type",
	AttrConnectTime:        "h323-connect-time",
	AttrDisconnectTime:     "h323-disconnect-time",
	AttrDisconnectCause:    "h323-disconnect-cause",
	AttrVoiceQuality:       "h323-voice-quality",
	AttrGatewayID:          "h323-gw-id",
	AttrIncomingConfID:     "h323-incoming-conf-id",
	AttrSIPConfID:          "h323-sip-conf-id",
	AttrCreditAmount:       "h323-credit-amount",
	AttrCreditTime:         "h323-credit-time",
	AttrReturnCode:         "h323-return-code",
	AttrPromptID:           "h323-prompt-id",
	AttrTimeAndDay:         "h323-time-and-day",
	AttrRedirectNumber:     "h323-redirect-number",
	AttrPreferredLang:      "h323-preferred-lang",
	AttrRedirectIPAddress:  "h323-redirect-ip-address",
	AttrBillingModel:       "h323-billing-model",
	AttrCurrency:           "h323-currency",
	AttrSubscriber:         "subscriber",
	AttrGWRxdCDN:           "gw-rxd-cdn",
	AttrGWFinalXlatedCDN:   "gw-final-xlated-cdn",
	AttrRemoteMediaAddress: "remote-media-address",
	AttrReleaseSource:      "release-source",
	AttrGWRxdCGN:           "gw-rxd-cgn",
	AttrGWFinalXlatedCGN:   "gw-final-xlated-cgn",
	AttrCallID:             "call-id",
	AttrSessionProtocol:    "session-protocol",
	AttrMethod:             "method",
	AttrPrevHopVia:         "prev-hop-via",
	AttrPrevHopIP:          "prev-hop-ip",
	AttrIncomingReqURI:     "incoming-req-uri",
	AttrOutgoingReqURI:     "outgoing-req-uri",
	AttrNextHopIP:          "next-hop-ip",
	AttrNextHopDN:          "next-hop-dn",
	AttrSIPHeader:          "sip-hdr",
	AttrDSPID:              "dsp-id",
}

// AttrName returns the name of a vendor-9 attribute number, e.g. 25 ->
// "h323-setup-time", 1 -> "Cisco-AVPair", or "" when the number is unknown.
func AttrName(t byte) string {
	return attrNames[t]
}
