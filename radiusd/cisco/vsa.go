package cisco

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// maxAttrValueLen is the largest value a RADIUS attribute can carry: the
// length octet (255) covers the 2-octet type/length header too.
const maxAttrValueLen = 253

// vendorHeaderLen is the vendor id in front of the sub-attributes.
const vendorHeaderLen = 4

// subHeaderLen is a sub-attribute's type and length octets.
const subHeaderLen = 2

// SubAttribute is one vendor sub-attribute of a Vendor-Specific attribute.
type SubAttribute struct {
	Type  byte
	Value []byte
	// Offset is where Value starts in the Vendor-Specific attribute's
	// value, for a caller that holds those bytes in another form.
	Offset int
}

var (
	errNoVendorID      = errors.New("cisco: vendor-specific attribute shorter than its 4-octet vendor id")
	errNoSubAttributes = errors.New("cisco: vendor-specific attribute carries no sub-attribute")
)

// ParseVendorSpecific parses the value of one RADIUS Vendor-Specific (26)
// attribute: a 4-octet vendor id, then sub-attributes of one type octet, one
// length octet (counting the 2-octet header) and the value, as RFC 2865
// recommends and Cisco uses. It parses any vendor id with that layout and
// reports it; callers must check vendorID before interpreting the types.
//
// Each Value is a sub-slice of attr, not a copy: the caller owns the buffer
// and must copy a value it keeps beyond the buffer's lifetime. The sub-slices
// are capped at their own length, so appending to one never overwrites attr.
//
// The sub-attributes are appended to dst, which may be a caller's buffer
// (the accounting decoder passes one on its stack, so that a packet's
// dozen VSAs allocate nothing) or nil.
//
// It returns an error when the vendor id is missing, no sub-attribute follows
// it, or a sub-attribute's length is below 2 or runs past the end. On error
// subs is nil and vendorID is set if its 4 octets were present.
func ParseVendorSpecific(dst []SubAttribute, attr []byte) (vendorID uint32, subs []SubAttribute, err error) {
	if len(attr) < vendorHeaderLen {
		return 0, nil, errNoVendorID
	}
	vendorID = binary.BigEndian.Uint32(attr)
	body := attr[vendorHeaderLen:]
	if len(body) == 0 {
		return vendorID, nil, errNoSubAttributes
	}

	// Validate first, so that nothing is appended to dst on error.
	for off := 0; off < len(body); {
		if len(body)-off < subHeaderLen {
			return vendorID, nil, fmt.Errorf("cisco: vendor-specific sub-attribute header truncated at offset %d", vendorHeaderLen+off)
		}
		length := int(body[off+1])
		if length < subHeaderLen {
			return vendorID, nil, fmt.Errorf("cisco: vendor-specific sub-attribute at offset %d has length %d, below the 2-octet header", vendorHeaderLen+off, length)
		}
		if length > len(body)-off {
			return vendorID, nil, fmt.Errorf("cisco: vendor-specific sub-attribute at offset %d has length %d but only %d octets remain", vendorHeaderLen+off, length, len(body)-off)
		}
		off += length
	}

	subs = dst
	for off := 0; off < len(body); {
		end := off + int(body[off+1])
		subs = append(subs, SubAttribute{Type: body[off], Value: body[off+subHeaderLen : end : end], Offset: vendorHeaderLen + off + subHeaderLen})
		off = end
	}
	return vendorID, subs, nil
}

// NewVSA builds the value of a Vendor-Specific (26) attribute carrying one
// vendor-9 string sub-attribute in the prefixed form gateways expect, e.g.
// NewVSA(AttrCreditTime, "360") -> "h323-credit-time=360". The prefix is always
// added, so StripName on the decoded value gives back exactly value. For
// AttrAVPair the value is sent as given and must already be name=value.
// It returns an error when the type has no known name, an AVPair lacks its
// separator, or the result exceeds the 253 octets an attribute can hold.
func NewVSA(t byte, value string) ([]byte, error) {
	name := AttrName(t)
	if name == "" {
		return nil, fmt.Errorf("cisco: no known name for vendor-specific attribute %d", t)
	}
	payloadLen := len(value)
	if t == AttrAVPair {
		if _, _, ok := SplitAVPair(value); !ok {
			return nil, fmt.Errorf("cisco: %s value %q is not name=value", name, value)
		}
	} else {
		payloadLen += len(name) + 1
	}
	total := vendorHeaderLen + subHeaderLen + payloadLen
	if total > maxAttrValueLen {
		return nil, fmt.Errorf("cisco: %s value of %d octets makes the attribute %d octets, over the %d allowed", name, len(value), total, maxAttrValueLen)
	}

	vsa := make([]byte, vendorHeaderLen+subHeaderLen, total)
	binary.BigEndian.PutUint32(vsa, VendorID)
	vsa[vendorHeaderLen] = t
	vsa[vendorHeaderLen+1] = byte(subHeaderLen + payloadLen)
	if t != AttrAVPair {
		vsa = append(vsa, name...)
		vsa = append(vsa, '=')
	}
	return append(vsa, value...), nil
}

// StripName returns the value of a Cisco string VSA without its "name="
// prefix: IOS repeats the attribute name inside the value
// ("h323-setup-time=14:30:25.429 GMT Wed Jan 23 2002"). The name matches
// case-insensitively; when the value does not start with it, the value is
// returned unchanged, so unprefixed values from other gateways still work.
func StripName(name, value string) string {
	n := len(name)
	if n == 0 || len(value) <= n || value[n] != '=' || !strings.EqualFold(value[:n], name) {
		return value
	}
	return value[n+1:]
}

// SplitAVPair splits a Cisco-AVPair "name=value", or "name*value" (the form
// marking an optional attribute), at the first separator. ok is false when
// there is no separator or the name before it is empty.
func SplitAVPair(s string) (name, value string, ok bool) {
	i := strings.IndexAny(s, "=*")
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}
