package cisco

import (
	"fmt"
	"strconv"
	"strings"
)

// maxQ850Cause is the largest ITU-T Q.850 cause value (7 bits).
const maxQ850Cause = 127

// ParseDisconnectCause parses h323-disconnect-cause, a Q.850 cause written in
// hexadecimal ("10" is 16, normal clearing), and returns it as the decimal
// cause 0..127. Surrounding spaces are ignored.
func ParseDisconnectCause(s string) (int, error) {
	hex := strings.TrimSpace(s)
	cause, err := strconv.ParseUint(hex, 16, 8)
	if err != nil || cause > maxQ850Cause {
		return 0, fmt.Errorf("cisco: disconnect cause %q is not a hexadecimal Q.850 cause 0..7F", s)
	}
	return int(cause), nil
}

const (
	confIDWords   = 4
	confIDWordLen = 8
	// confIDLen is four 8-digit words and three separating spaces.
	confIDLen = confIDWords*(confIDWordLen+1) - 1
)

// NormalizeConfID canonicalises an h323-conf-id so the legs of one call
// compare equal: four hexadecimal words separated by single spaces, upper
// case, each zero-padded to 8 digits (some gatekeepers do not pad). Input
// that is not four hexadecimal words of at most 8 digits is returned
// trimmed, with ok false.
func NormalizeConfID(s string) (id string, ok bool) {
	trimmed := strings.TrimSpace(s)
	var canonical [confIDLen]byte
	rest := trimmed
	for word := 0; word < confIDWords; word++ {
		var digits string
		digits, rest = nextField(rest)
		if len(digits) == 0 || len(digits) > confIDWordLen {
			return trimmed, false
		}
		start := word * (confIDWordLen + 1)
		if word > 0 {
			canonical[start-1] = ' '
		}
		padding := confIDWordLen - len(digits)
		for i := 0; i < padding; i++ {
			canonical[start+i] = '0'
		}
		for i := 0; i < len(digits); i++ {
			c, isHex := upperHexDigit(digits[i])
			if !isHex {
				return trimmed, false
			}
			canonical[start+padding+i] = c
		}
	}
	if extra, _ := nextField(rest); extra != "" {
		return trimmed, false
	}
	// Most gateways already send the canonical form: reuse it without allocating.
	if string(canonical[:]) == trimmed {
		return trimmed, true
	}
	return string(canonical[:]), true
}

func upperHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9', 'A' <= c && c <= 'F':
		return c, true
	case 'a' <= c && c <= 'f':
		return c - ('a' - 'A'), true
	}
	return 0, false
}

// ReturnCode is an h323-return-code, the result a debit-card (prepaid)
// application on the gateway acts on, e.g. by playing a prompt.
type ReturnCode int

// Return codes of Cisco's debit-card applications.
const (
	Success                   ReturnCode = 0
	InvalidAccount            ReturnCode = 1
	InvalidPIN                ReturnCode = 2
	AccountInUse              ReturnCode = 3
	ZeroBalance               ReturnCode = 4
	CardExpired               ReturnCode = 5
	CreditLimitReached        ReturnCode = 6
	UserDenied                ReturnCode = 7
	ServiceNotAvailable       ReturnCode = 8
	CalledNumberBlocked       ReturnCode = 9
	RetriesExceeded           ReturnCode = 10
	InvalidArgument           ReturnCode = 11
	InsufficientBalance       ReturnCode = 12
	TollFreeAllowed           ReturnCode = 13 // the gateway treats it as proceed
	InvalidCardNumber         ReturnCode = 14
	HairpinToPSTN             ReturnCode = 50
	RedirectToCalledParty     ReturnCode = 51 // to h323-redirect-number
	RedirectToCustomerService ReturnCode = 52
	ConnectIPLeg              ReturnCode = 53 // to h323-redirect-ip-address
)

var returnCodeText = map[ReturnCode]string{
	Success:                   "success",
	InvalidAccount:            "invalid account number",
	InvalidPIN:                "invalid PIN",
	AccountInUse:              "account in use",
	ZeroBalance:               "zero balance",
	CardExpired:               "card expired",
	CreditLimitReached:        "credit limit reached",
	UserDenied:                "user denied",
	ServiceNotAvailable:       "service not available",
	CalledNumberBlocked:       "called number blocked",
	RetriesExceeded:           "number of retries exceeded",
	InvalidArgument:           "invalid argument",
	InsufficientBalance:       "insufficient balance",
	TollFreeAllowed:           "toll-free calls allowed",
	InvalidCardNumber:         "invalid card number",
	HairpinToPSTN:             "hairpin to PSTN",
	RedirectToCalledParty:     "redirect to called party",
	RedirectToCustomerService: "redirect to customer service",
	ConnectIPLeg:              "connect IP leg to redirect address",
}

// String describes the code for logs, or gives "ReturnCode(n)" for a code
// Cisco does not define.
func (c ReturnCode) String() string {
	if text, ok := returnCodeText[c]; ok {
		return text
	}
	return "ReturnCode(" + strconv.Itoa(int(c)) + ")"
}
