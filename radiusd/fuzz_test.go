package radiusd

import (
	"testing"

	"layeh.com/radius"
)

// FuzzParseAndVerify runs arbitrary datagrams through the front of the
// pipeline: parse and authenticator checks must never panic, and a packet
// that verifies must be re-encodable by the codec.
func FuzzParseAndVerify(f *testing.F) {
	p := radius.New(radius.CodeAccountingRequest, []byte(testSecret))
	p.Add(1, radius.Attribute("user"))
	wire, _ := p.Encode()
	f.Add(wire)
	f.Add(append(wire, 0, 0, 0)) // padding after Length
	access := radius.New(radius.CodeAccessRequest, []byte(testSecret))
	access.Add(attrMessageAuthenticator, make([]byte, 16))
	aw, _ := access.Encode()
	f.Add(aw)
	f.Add([]byte{1, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, datagram []byte) {
		pkt, wire, err := parse(datagram, []byte(testSecret))
		// parse is layeh's Parse without a copy per attribute: it accepts
		// and reads exactly what layeh does (within 4096 bytes).
		if len(datagram) <= radius.MaxPacketLength {
			want, layehErr := radius.Parse(datagram, []byte(testSecret))
			if (err == nil) != (layehErr == nil) {
				t.Fatalf("parse error %v, layeh's %v", err, layehErr)
			}
			if err == nil && !samePacket(pkt, want) {
				t.Fatalf("parsed %+v, layeh %+v", pkt, want)
			}
		}
		if err != nil {
			return
		}
		if len(wire) > len(datagram) || len(wire) < 20 {
			t.Fatalf("wire of %d bytes from a %d-byte datagram", len(wire), len(datagram))
		}
		if verify(pkt.Code, wire, &Client{Secret: []byte(testSecret), RequireMessageAuthenticator: Auto, LimitProxyState: Auto}) == "" {
			if _, err := pkt.MarshalBinary(); err != nil {
				t.Fatalf("verified packet does not re-encode: %v", err)
			}
		}
	})
}

func samePacket(a, b *radius.Packet) bool {
	if a.Code != b.Code || a.Identifier != b.Identifier || a.Authenticator != b.Authenticator || len(a.Attributes) != len(b.Attributes) {
		return false
	}
	for i, x := range a.Attributes {
		y := b.Attributes[i]
		if x.Type != y.Type || string(x.Attribute) != string(y.Attribute) {
			return false
		}
	}
	return true
}
