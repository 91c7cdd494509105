// Package cdr is the record of one call leg, whatever its source — a RADIUS
// Stop, a CUCM CDR file, an Asterisk CDR — and its rating result: what every
// source decodes into, and what billing, limits and store work with. A value
// a source could not parse is kept raw in the record and named in
// ParseErrors, so the record is still stored.
package cdr

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is the Acct-Status-Type of an accounting packet.
type Status uint32

// Acct-Status-Type values (RFC 2866).
const (
	StatusStart         Status = 1
	StatusStop          Status = 2
	StatusInterimUpdate Status = 3
	StatusAccountingOn  Status = 7
	StatusAccountingOff Status = 8
)

func (s Status) String() string {
	switch s {
	case StatusStart:
		return "Start"
	case StatusStop:
		return "Stop"
	case StatusInterimUpdate:
		return "Interim-Update"
	case StatusAccountingOn:
		return "Accounting-On"
	case StatusAccountingOff:
		return "Accounting-Off"
	}
	return "Unknown"
}

// AVPair is one Cisco-AVPair "name=value"; a packet may carry many.
type AVPair struct {
	Name, Value string
}

// Attribute is one attribute of the packet as text, in packet order, for the
// CDR's raw column.
type Attribute struct {
	Name, Value string
}

// Sources of records other than RADIUS, as stored in cdr.source ("radius"
// when Source is "").
const (
	SourceCUCM        = "cucm"
	SourceAsteriskCSV = "asterisk-csv"
	SourceAsteriskDB  = "asterisk-db"
)

// Record is one call leg: a decoded Accounting-Request, or a row of a CDR
// file or table.
type Record struct {
	ReceivedAt time.Time
	// ClientName is the configured NAS client that sent a RADIUS record,
	// or the gateway (trunk) an imported call went through: the name of
	// its billing policy (gateway table).
	ClientName string
	Status     Status
	// Source is "" for RADIUS, else one of the Source constants; SourceKey
	// identifies an imported leg in its source (CUCM: cluster, call
	// manager, call and leg ids), so that importing it again is a
	// duplicate whatever else changed.
	Source, SourceKey string

	NASIP          string // NAS-IP-Address, else the packet's source address
	NASIdentifier  string
	SessionID      string // Acct-Session-Id
	UserName       string
	CallingNumber  string // Calling-Station-Id as received
	CalledNumber   string // Called-Station-Id as received
	SessionTime    *int64 // Acct-Session-Time, connected seconds
	DelayTime      *int64 // Acct-Delay-Time
	TerminateCause *int64 // Acct-Terminate-Cause

	ConfID          string // h323-conf-id, canonical form when it parses
	IncomingConfID  string // h323-incoming-conf-id (from Cisco-AVPair)
	CallOrigin      string // answer, originate, callback
	CallType        string // Telephony, VoIP, ...
	RemoteAddress   string
	GatewayID       string
	SetupTime       *time.Time // UTC
	ConnectTime     *time.Time
	DisconnectTime  *time.Time
	DisconnectCause *int64 // decimal Q.850 cause
	VoiceQuality    *int64
	AVPairs         []AVPair

	// ClockUnsynced is set when any Cisco time was marked as not authoritative
	// ('*'), NTP sync lost ('.'), or carried an unknown zone.
	ClockUnsynced bool
	// ParseErrors names every value that did not parse; its raw text is in Raw.
	ParseErrors []string
	Raw         []Attribute

	Rating Rating
}

// Rating holds what the rating stage computed for a Stop. Status is "unrated"
// until a rater has looked at the record; CostMicros is set only when Status
// is "ok".
type Rating struct {
	Status      string
	CallingNorm string // calling number after translation rules
	CalledNorm  string // called number after translation rules
	Direction   string // "outgoing", "incoming", or "" when the leg has none
	Billed      bool   // the leg of its call that is charged
	// Account is the prepaid card (its User-Name) the leg is debited to,
	// AccountID its id; UserID the enterprise user the leg belongs to (by
	// the calling number of an outgoing leg, the called number of an
	// incoming one). Empty and 0 when the leg has no owner (the gateway's
	// default plan rated it). The ids are stored on the CDR, which keeps
	// them when re-rated.
	Account   string
	AccountID int64
	UserID    int64
	// DepartmentID is the owner's department when the leg was rated (or
	// the department that owns the number directly), BranchID that
	// department's branch, else the gateway's; 0 when none. Reports group
	// by them, so a user moved later keeps last month's calls where they
	// were made.
	DepartmentID  int64
	BranchID      int64
	PlanID        *int64
	Zone          string
	Prefix        string
	BilledSeconds *int64
	CostMicros    *int64
	Currency      string
	Detail        string // JSON parts of the charge
	RatedAt       *time.Time
	// PartnerCharges are the leg under each clearinghouse rate type that
	// applies to it (package partner), stored with the CDR.
	PartnerCharges []PartnerCharge
}

// PartnerCharge is a leg rated under one rate type of one partner: what we
// charge the partner or our retail customer (base, incoming) or what we
// are charged (egress, outgoing).
type PartnerCharge struct {
	PartnerID int64
	RateType  string
	// Hop is the leg's place in the call, as Clarent's I/E/X CDRs name
	// it: "inbound" (the call coming in from its origin), "egress" (going
	// out to its terminator), "proxy" (a leg between two other partners'
	// networks, relayed through another clearinghouse or proxy).
	Hop        string
	PlanID     int64
	Zone, Band string
	// DurationSeconds is the leg's connected time (the carrier's quality
	// figures), BilledSeconds what the plan billed of it.
	DurationSeconds, BilledSeconds int64
	AmountMicros                   *int64 // nil when the plan could not price it (Status)
	Currency                       string
	Status                         string // a rating status: "ok", "no_rate", ...
}

// LegKey identifies one call leg: the same NAS, session, conference and leg
// direction. It is the key of active_call and the basis of DedupKey.
func (r *Record) LegKey() string {
	if r.SourceKey != "" {
		return hashFields(r.Source, r.SourceKey)
	}
	return hashFields(r.NASIP, r.NASIdentifier, r.SessionID, r.ConfID, r.CallOrigin, r.CallType)
}

// DedupKey identifies one accounting event of one leg. Retransmits and repeats
// of the same Stop (gateway retry, broadcast accounting to several servers)
// share it even when Acct-Delay-Time or the authenticator changed.
func (r *Record) DedupKey() string {
	return r.eventKey(r.Status)
}

// StopKey is the DedupKey of the leg's Stop: the key its CDR is found by,
// whatever the status of r.
func (r *Record) StopKey() string {
	return r.eventKey(StatusStop)
}

func (r *Record) eventKey(s Status) string {
	if r.SourceKey != "" {
		return hashFields(r.Source, r.SourceKey, s.String())
	}
	return hashFields(r.NASIP, r.NASIdentifier, r.SessionID, r.ConfID, r.CallOrigin, r.CallType, s.String())
}

// CallTime is the time a call is filed under: connect time when answered,
// else setup time, else when it was received.
func (r *Record) CallTime() time.Time {
	switch {
	case r.ConnectTime != nil:
		return *r.ConnectTime
	case r.SetupTime != nil:
		return *r.SetupTime
	}
	return r.ReceivedAt
}

func hashFields(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		// Length-prefixing keeps ("ab","c") and ("a","bc") apart.
		var n [4]byte
		n[0], n[1], n[2], n[3] = byte(len(f)>>24), byte(len(f)>>16), byte(len(f)>>8), byte(len(f))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// AddParseError names a value that did not parse; its text stays in Raw.
func (r *Record) AddParseError(name string) {
	r.ParseErrors = append(r.ParseErrors, name)
}

// RawValue is a value as the raw column shows it: printable UTF-8 as it
// is, anything else (control bytes, invalid UTF-8, text that starts with
// 0x) as 0x and its hexadecimal bytes.
func RawValue(s string) string {
	if utf8.ValidString(s) && !strings.HasPrefix(s, "0x") && strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return s
	}
	return "0x" + hex.EncodeToString([]byte(s))
}
