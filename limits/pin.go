package limits

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/crypto/bcrypt"
)

// pinCache remembers PINs that bcrypt verified, so that a card's next
// Access-Requests (stage 2 follows stage 1 within seconds, and a card
// makes call after call) cost a keyed hash instead of a bcrypt run, which
// would cap the server at about a thousand authorizations per second per
// core. An entry holds the pin_hash it was verified against, so a changed
// PIN is never accepted from the cache, and a SHA-256 of the PIN keyed by
// a secret that lives only in this process's memory: the cache reveals no
// more than the bcrypt hashes in the database do. (The digests are only
// compared in memory, never shown, so a keyed hash serves where an HMAC
// would cost allocations on every request.) Failed checks are not cached:
// every wrong PIN costs a full bcrypt run.
type pinCache struct {
	key     []byte
	entries *lru.Cache[string, verifiedPIN]
}

type verifiedPIN struct {
	pinHash string
	digest  [sha256.Size]byte
}

func newPINCache(size int) *pinCache {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	entries, err := lru.New[string, verifiedPIN](size)
	if err != nil {
		panic(err) // only a size < 1 fails, and New defaults it
	}
	return &pinCache{key: key, entries: entries}
}

func (c *pinCache) digest(number, pin string) [sha256.Size]byte {
	var buf [32 + 64 + 1 + 64]byte // key, number, separator, PIN (both at most 64 digits)
	return sha256.Sum256(append(append(append(append(buf[:0], c.key...), number...), 0), pin...))
}

// lookup returns the pin_hash the PIN was verified against, if it was.
func (c *pinCache) lookup(number, pin string) (string, bool) {
	v, ok := c.entries.Get(number)
	if !ok {
		return "", false
	}
	if digest := c.digest(number, pin); subtle.ConstantTimeCompare(v.digest[:], digest[:]) != 1 {
		return "", false
	}
	return v.pinHash, true
}

// verify checks pin against pinHash, from the cache when it can.
func (c *pinCache) verify(number, pin, pinHash string) bool {
	if cached, ok := c.lookup(number, pin); ok && cached == pinHash {
		return true
	}
	if bcrypt.CompareHashAndPassword([]byte(pinHash), []byte(pin)) != nil {
		return false
	}
	c.entries.Add(number, verifiedPIN{pinHash: pinHash, digest: c.digest(number, pin)})
	return true
}

// Proof is how an Access-Request proves a card's PIN: PAP's clear PIN, or
// a CHAP response (RFC 1994: MD5 of the CHAP id, the PIN and the
// challenge).
type Proof struct {
	PIN  string
	CHAP *CHAPResponse
}

// PAP is the proof of a clear PIN.
func PAP(pin string) Proof { return Proof{PIN: pin} }

// CHAPResponse is a CHAP-Password with its challenge (CHAP-Challenge, or
// the Request Authenticator when the request has none).
type CHAPResponse struct {
	ID        byte
	Response  []byte
	Challenge []byte
}

// matches reports whether pin produces the response.
func (c *CHAPResponse) matches(pin []byte) bool {
	h := md5.New()
	h.Write([]byte{c.ID})
	h.Write(pin)
	h.Write(c.Challenge)
	return subtle.ConstantTimeCompare(h.Sum(nil), c.Response) == 1
}

// pinRow is what proving a PIN needs of a card.
type pinRow struct {
	PINHash   string `db:"pin_hash"`
	PINSealed []byte `db:"pin_sealed"`
}

// proves checks the proof against the card's stored PIN. CHAP needs the
// PIN sealed under the Service's PIN key (Options.PINKey); a card without
// one cannot use CHAP.
func (s *Service) proves(number string, card pinRow, p Proof) bool {
	if p.CHAP == nil {
		return s.pins.verify(number, p.PIN, card.PINHash)
	}
	pin, err := s.unsealPIN(number, card.PINSealed)
	if err != nil {
		return false
	}
	return p.CHAP.matches(pin)
}

// CheckPIN checks a card's PIN and returns the pin_hash it matched, to be
// given to AuthorizeCards (CardCall.PINHash), which refuses the call if
// the PIN changes in between. A clear PIN verified before is checked from
// memory without reading the database. The codes are CodeInvalidAccount,
// CodeInvalidPIN and CodeSuccess; the card's state is AuthorizeCards's
// business.
func (s *Service) CheckPIN(ctx context.Context, number string, p Proof) (string, ReturnCode, error) {
	if p.CHAP == nil {
		if pinHash, ok := s.pins.lookup(number, p.PIN); ok {
			return pinHash, CodeSuccess, nil
		}
	}
	var card pinRow
	err := s.db.GetContext(ctx, &card, "SELECT pin_hash, pin_sealed FROM prepaid_account WHERE account_number = ?", number)
	if errors.Is(err, sql.ErrNoRows) {
		s.likeAPINCheck(p)
		return "", CodeInvalidAccount, nil
	}
	if err != nil {
		return "", 0, err
	}
	if !s.proves(number, card, p) {
		return "", CodeInvalidPIN, nil
	}
	return card.PINHash, CodeSuccess, nil
}

// likeAPINCheck costs what checking p against a card's PIN would, for an
// unknown account: a wrong account number takes as long as a wrong PIN.
// A CHAP proof is checked without bcrypt (against the sealed PIN), so it
// costs nothing here either.
func (s *Service) likeAPINCheck(p Proof) {
	if p.CHAP == nil {
		_ = bcrypt.CompareHashAndPassword(s.dummyPINHash(), []byte(p.PIN))
	}
}

// ReadPINKey reads the PIN key file of authorize.pin_key_file; nil when
// path is "".
func ReadPINKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authorize.pin_key_file: %w", err)
	}
	key, err := ParsePINKey(text)
	if err != nil {
		return nil, fmt.Errorf("authorize.pin_key_file %s: %w", path, err)
	}
	return key, nil
}

// ParsePINKey reads a PIN key: 64 hexadecimal digits (32 bytes), as
// written by `openssl rand -hex 32`; surrounding space is ignored.
func ParsePINKey(text []byte) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil || len(key) != 32 {
		return nil, errors.New("a PIN key is 64 hexadecimal digits (openssl rand -hex 32)")
	}
	return key, nil
}

// sealPIN encrypts a PIN with the PIN key (AES-256-GCM, random nonce, the
// account number as additional data, so a sealed PIN copied to another
// card does not open); nil without a key.
func (s *Service) sealPIN(number, pin string) ([]byte, error) {
	if s.pinAEAD == nil {
		return nil, nil
	}
	nonce := make([]byte, s.pinAEAD.NonceSize())
	_, _ = rand.Read(nonce)
	return s.pinAEAD.Seal(nonce, nonce, []byte(pin), []byte(number)), nil
}

func (s *Service) unsealPIN(number string, sealed []byte) ([]byte, error) {
	switch {
	case s.pinAEAD == nil:
		return nil, errors.New("no PIN key configured")
	case len(sealed) < s.pinAEAD.NonceSize():
		return nil, errors.New("the card has no sealed PIN")
	}
	size := s.pinAEAD.NonceSize()
	return s.pinAEAD.Open(nil, sealed[:size], sealed[size:], []byte(number))
}

// SetPIN changes a card's PIN (and seals it when a PIN key is set, which
// lets the card use CHAP). Remembered checks of the old PIN stop working
// at once: they are bound to the old pin_hash.
func (s *Service) SetPIN(ctx context.Context, number, pin string) error {
	if err := validatePIN(number, pin); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pin), s.pinCost)
	if err != nil {
		return err
	}
	sealed, err := s.sealPIN(number, pin)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, "UPDATE prepaid_account SET pin_hash = ?, pin_sealed = ? WHERE account_number = ?", string(hash), sealed, number)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmp.Or(err, fmt.Errorf("account %s: %w", number, ErrNotFound))
	}
	return nil
}

// validatePIN checks a new PIN's form: 4 to 64 digits.
func validatePIN(number, pin string) error {
	if !isDigits(pin) || len(pin) < 4 || len(pin) > 64 {
		return fmt.Errorf("account %s: the PIN must be 4 to 64 digits", number)
	}
	return nil
}
