package acct

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"layeh.com/radius"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/radiusd/attrnames"
	"github.com/radbill/radbill/radiusd/cisco"
)

// Standard attribute numbers the decoder reads (RFC 2865, 2866, 3162).
const (
	attrUserName         = 1
	attrNASIPAddress     = 4
	attrVendorSpecific   = 26
	attrCalledStationID  = 30
	attrCallingStationID = 31
	attrNASIdentifier    = 32
	attrAcctStatusType   = 40
	attrAcctDelayTime    = 41
	attrAcctSessionID    = 44
	attrAcctSessionTime  = 46
	attrAcctTerminate    = 49
	attrNASIPv6Address   = 95
)

// integerAttributes are shown as numbers (or their VALUE names) in Raw.
var integerAttributes = map[byte]bool{
	5: true, 6: true, 7: true, 12: true, 13: true, 27: true, 28: true, 29: true, 37: true, 38: true,
	40: true, 41: true, 42: true, 43: true, 45: true, 46: true, 47: true, 48: true, 49: true,
	51: true, 52: true, 53: true, 55: true, 61: true, 62: true, 85: true,
}

// Decoder decodes accounting packets. It is immutable and safe for concurrent use.
type Decoder struct {
	names *attrnames.Names
	// gatewayZone is used for Cisco times whose zone token is unknown.
	gatewayZone *time.Location
}

// NewDecoder returns a decoder naming attributes from names and reading
// Cisco times with an unknown zone in gatewayZone.
func NewDecoder(names *attrnames.Names, gatewayZone *time.Location) *Decoder {
	return &Decoder{names: names, gatewayZone: gatewayZone}
}

// Decode turns a parsed Accounting-Request into a cdr.Record. It fails only when
// the packet has no usable Acct-Status-Type; any other bad value is recorded
// in ParseErrors.
func (d *Decoder) Decode(p *radius.Packet, source net.IP, clientName string, now time.Time) (*cdr.Record, error) {
	r := &cdr.Record{
		ReceivedAt: now.UTC(),
		ClientName: clientName,
		Raw:        make([]cdr.Attribute, 0, len(p.Attributes)+8),
		Rating:     cdr.Rating{Status: "unrated"},
	}
	// Every value is copied into one string once; a value read as text is
	// a substring of it, not an allocation of its own (a Cisco Stop has
	// about twenty attributes).
	var all strings.Builder
	size := 0
	for _, avp := range p.Attributes {
		size += len(avp.Attribute)
	}
	all.Grow(size)
	for _, avp := range p.Attributes {
		all.Write(avp.Attribute)
	}
	values := all.String()
	hasStatus := false
	for _, avp := range p.Attributes {
		t := byte(avp.Type)
		v := avp.Attribute
		s := values[:len(v)]
		values = values[len(v):]
		if t == attrVendorSpecific {
			d.decodeVendorSpecific(r, v, s)
			continue
		}
		r.Raw = append(r.Raw, cdr.Attribute{Name: d.names.Name(t), Value: d.rawValue(t, v, s)})
		switch t {
		case attrUserName:
			r.UserName = s
		case attrNASIPAddress:
			if len(v) == net.IPv4len {
				r.NASIP = net.IP(v).String()
			} else {
				r.AddParseError("NAS-IP-Address")
			}
		case attrNASIPv6Address:
			if len(v) == net.IPv6len && r.NASIP == "" {
				r.NASIP = net.IP(v).String()
			}
		case attrCalledStationID:
			r.CalledNumber = s
		case attrCallingStationID:
			r.CallingNumber = s
		case attrNASIdentifier:
			r.NASIdentifier = s
		case attrAcctSessionID:
			r.SessionID = s
		case attrAcctStatusType:
			if n, ok := integer(r, "Acct-Status-Type", v); ok {
				r.Status = cdr.Status(*n)
				hasStatus = true
			}
		case attrAcctDelayTime:
			r.DelayTime, _ = integer(r, "Acct-Delay-Time", v)
		case attrAcctSessionTime:
			r.SessionTime, _ = integer(r, "Acct-Session-Time", v)
		case attrAcctTerminate:
			r.TerminateCause, _ = integer(r, "Acct-Terminate-Cause", v)
		}
	}
	if r.NASIP == "" && source != nil {
		r.NASIP = source.String()
	}
	if !hasStatus {
		return r, fmt.Errorf("no valid Acct-Status-Type")
	}
	return r, nil
}

// decodeVendorSpecific decodes the Vendor-Specific attribute v, whose bytes
// are also s.
func (d *Decoder) decodeVendorSpecific(r *cdr.Record, v []byte, s string) {
	var buf [4]cisco.SubAttribute
	vendor, subs, err := cisco.ParseVendorSpecific(buf[:0], v)
	if err != nil {
		r.AddParseError("Vendor-Specific")
		r.Raw = append(r.Raw, cdr.Attribute{Name: "Vendor-Specific", Value: cdr.RawValue(s)})
		return
	}
	for _, sub := range subs {
		value := s[sub.Offset : sub.Offset+len(sub.Value)]
		r.Raw = append(r.Raw, cdr.Attribute{Name: d.names.VendorName(vendor, sub.Type), Value: cdr.RawValue(value)})
		if vendor == cisco.VendorID {
			d.decodeCisco(r, sub.Type, value)
		}
	}
}

func (d *Decoder) decodeCisco(r *cdr.Record, t byte, raw string) {
	name := cisco.AttrName(t)
	value := cisco.StripName(name, raw)
	switch t {
	case cisco.AttrAVPair:
		k, val, ok := cisco.SplitAVPair(raw)
		if !ok {
			r.AddParseError(name)
			return
		}
		r.AVPairs = append(r.AVPairs, cdr.AVPair{Name: k, Value: val})
		if strings.EqualFold(k, "h323-incoming-conf-id") {
			r.IncomingConfID = canonicalConfID(val)
		}
	case cisco.AttrConfID:
		r.ConfID = canonicalConfID(value)
	case cisco.AttrIncomingConfID:
		r.IncomingConfID = canonicalConfID(value)
	case cisco.AttrCallOrigin:
		r.CallOrigin = value
	case cisco.AttrCallType:
		r.CallType = value
	case cisco.AttrRemoteAddress:
		r.RemoteAddress = value
	case cisco.AttrGatewayID:
		r.GatewayID = value
	case cisco.AttrSetupTime:
		r.SetupTime = d.ciscoTime(r, name, value)
	case cisco.AttrConnectTime:
		r.ConnectTime = d.ciscoTime(r, name, value)
	case cisco.AttrDisconnectTime:
		r.DisconnectTime = d.ciscoTime(r, name, value)
	case cisco.AttrDisconnectCause:
		if c, err := cisco.ParseDisconnectCause(value); err == nil {
			n := int64(c)
			r.DisconnectCause = &n
		} else {
			r.AddParseError(name)
		}
	case cisco.AttrVoiceQuality:
		if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 32); err == nil {
			r.VoiceQuality = &n
		} else {
			r.AddParseError(name)
		}
	}
}

func (d *Decoder) ciscoTime(r *cdr.Record, name, value string) *time.Time {
	ct, err := cisco.ParseTime(value, d.gatewayZone)
	if err != nil || ct.Time.Year() < 1970 || ct.Time.Year() > 9999 {
		r.AddParseError(name)
		return nil
	}
	if ct.NotAuthoritative || ct.SyncLost || ct.ZoneUnknown {
		r.ClockUnsynced = true
	}
	t := ct.Time
	return &t
}

// canonicalConfID keeps conference ids comparable across gateways that do
// and do not zero-pad; an id that is not four hex words is kept as sent.
func canonicalConfID(s string) string {
	id, _ := cisco.NormalizeConfID(s)
	return id
}

func integer(r *cdr.Record, name string, v []byte) (*int64, bool) {
	if len(v) != 4 {
		r.AddParseError(name)
		return nil, false
	}
	n := int64(binary.BigEndian.Uint32(v))
	return &n, true
}

// rawValue is the attribute v (whose bytes are also s) as shown in Raw.
func (d *Decoder) rawValue(t byte, v []byte, s string) string {
	switch {
	case integerAttributes[t] && len(v) == 4:
		n := binary.BigEndian.Uint32(v)
		if name, ok := d.names.Value(t, n); ok {
			return name
		}
		return strconv.FormatUint(uint64(n), 10)
	case t == attrNASIPAddress && len(v) == net.IPv4len, t == attrNASIPv6Address && len(v) == net.IPv6len:
		return net.IP(v).String()
	}
	return cdr.RawValue(s)
}
