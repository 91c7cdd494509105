package authorize

import (
	"crypto/md5"
	"strings"
	"testing"
)

// encrypt is RFC 2865 §5.2 from the client's side, written separately from
// papPassword so that the two check each other.
func encrypt(password string, secret []byte, authenticator [16]byte) []byte {
	padded := []byte(password)
	for len(padded) == 0 || len(padded)%16 != 0 {
		padded = append(padded, 0)
	}
	out := make([]byte, 0, len(padded))
	previous := authenticator[:]
	for i := 0; i < len(padded); i += 16 {
		sum := md5.Sum(append(append([]byte{}, secret...), previous...))
		block := make([]byte, 16)
		for j := range block {
			block[j] = padded[i+j] ^ sum[j]
		}
		out = append(out, block...)
		previous = block
	}
	return out
}

func TestPAPPassword(t *testing.T) {
	secret := []byte("gateway-secret")
	authenticator := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, pin := range []string{"4321", "1234567890123456", "12345678901234567", strings.Repeat("9", 128)} {
		got, err := papPassword(encrypt(pin, secret, authenticator), secret, authenticator)
		if err != nil || got != pin {
			t.Errorf("%d-character PIN: got %q, %v", len(pin), got, err)
		}
	}
	wrong, err := papPassword(encrypt("4321", []byte("other"), authenticator), secret, authenticator)
	if err != nil || wrong == "4321" {
		t.Errorf("a PIN encrypted with another secret decrypted to %q (%v)", wrong, err)
	}
	for _, n := range []int{0, 15, 17, 144} {
		if _, err := papPassword(make([]byte, n), secret, authenticator); err == nil {
			t.Errorf("a %d-byte User-Password was accepted", n)
		}
	}
}
