package limits

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/crypto/bcrypt"
)

// pinCache remembers PINs that bcrypt verified, so that a card's next
// Access-Requests (stage 2 follows stage 1 within seconds, and a card
// makes call after call) cost a keyed hash instead of a bcrypt run, which
// would cap the server at about a thousand authorizations per second per
// core. An entry holds the pin_hash it was verified against, so a changed
// PIN is never accepted from the cache, and HMAC-SHA256 of the PIN under a
// key that lives only in this process's memory: the cache reveals no more
// than the bcrypt hashes in the database do. Failed checks are not
// cached: every wrong PIN costs a full bcrypt run.
type pinCache struct {
	key     []byte
	entries *lru.Cache[string, verifiedPIN]
}

type verifiedPIN struct {
	pinHash string
	mac     []byte
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

func (c *pinCache) mac(number, pin string) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(number))
	h.Write([]byte{0})
	h.Write([]byte(pin))
	return h.Sum(nil)
}

// lookup returns the pin_hash the PIN was verified against, if it was.
func (c *pinCache) lookup(number, pin string) (string, bool) {
	v, ok := c.entries.Get(number)
	if !ok || !hmac.Equal(v.mac, c.mac(number, pin)) {
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
	c.entries.Add(number, verifiedPIN{pinHash: pinHash, mac: c.mac(number, pin)})
	return true
}

// CheckPIN checks a card's PIN and returns the pin_hash it matched, to be
// given to AuthorizeCards (CardCall.PINHash), which refuses the call if
// the PIN changes in between. A PIN verified before is checked from
// memory without reading the database. The codes are CodeInvalidAccount,
// CodeInvalidPIN and CodeSuccess; the card's state is AuthorizeCards's
// business.
func (s *Service) CheckPIN(ctx context.Context, number, pin string) (string, ReturnCode, error) {
	if pinHash, ok := s.pins.lookup(number, pin); ok {
		return pinHash, CodeSuccess, nil
	}
	var pinHash string
	err := s.db.GetContext(ctx, &pinHash, "SELECT pin_hash FROM prepaid_account WHERE account_number = ?", number)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(s.dummyPINHash(), []byte(pin))
		return "", CodeInvalidAccount, nil
	}
	if err != nil {
		return "", 0, err
	}
	if !s.pins.verify(number, pin, pinHash) {
		return "", CodeInvalidPIN, nil
	}
	return pinHash, CodeSuccess, nil
}
