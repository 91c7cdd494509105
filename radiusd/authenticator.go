package radiusd

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"

	"layeh.com/radius"
)

const attrMessageAuthenticator = 80

// requestAuthenticatorValid checks the Request Authenticator of an
// Accounting-Request (RFC 2866 §3): MD5 over the packet with a zero
// authenticator, followed by the secret. Compared in constant time.
func requestAuthenticatorValid(wire []byte, secret []byte) bool {
	h := md5.New()
	h.Write(wire[:4])
	var zero [16]byte
	h.Write(zero[:])
	h.Write(wire[20:])
	h.Write(secret)
	var sum [md5.Size]byte
	return subtle.ConstantTimeCompare(h.Sum(sum[:0]), wire[4:20]) == 1
}

// messageAuthenticatorValid checks a Message-Authenticator (RFC 2869 §5.14):
// HMAC-MD5 over the packet with that attribute's value zeroed. present is
// false when the packet carries none.
func messageAuthenticatorValid(wire []byte, secret []byte) (present, valid bool) {
	for off := 20; off+2 <= len(wire); {
		t, l := wire[off], int(wire[off+1])
		if l < 2 || off+l > len(wire) {
			return false, false
		}
		if t == attrMessageAuthenticator {
			if l != 18 {
				return true, false
			}
			buf := make([]byte, len(wire))
			copy(buf, wire)
			clear(buf[off+2 : off+18])
			if radius.Code(wire[0]) == radius.CodeAccountingRequest {
				clear(buf[4:20]) // RFC 3579 §3.2: accounting uses a zero authenticator here
			}
			mac := hmac.New(md5.New, secret)
			mac.Write(buf)
			return true, hmac.Equal(mac.Sum(nil), wire[off+2:off+18])
		}
		off += l
	}
	return false, false
}

// signResponse encodes a response to request. When withMessageAuthenticator
// is set a Message-Authenticator is written as the FIRST attribute (the
// BlastRADIUS mitigation, CVE-2024-3596) and computed over the response as
// it will be sent, with the request's authenticator in place.
func signResponse(resp *radius.Packet, request *radius.Packet, withMessageAuthenticator bool) ([]byte, error) {
	if withMessageAuthenticator {
		resp.Attributes = append(radius.Attributes{{Type: attrMessageAuthenticator, Attribute: make([]byte, 16)}}, resp.Attributes...)
		wire, err := resp.MarshalBinary()
		if err != nil {
			return nil, err
		}
		copy(wire[4:20], request.Authenticator[:])
		mac := hmac.New(md5.New, resp.Secret)
		mac.Write(wire)
		copy(resp.Attributes[0].Attribute, mac.Sum(nil))
	}
	return resp.Encode()
}
