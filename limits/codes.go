package limits

import "strconv"

// ReturnCode is a Cisco h323-return-code (debit-card applications) telling
// the gateway's IVR why a card or call was refused, or 0 for success. These
// are Cisco's numbers; the RADIUS handler maps them for gateways that number
// differently (some use 11 for insufficient balance and 12 for a disabled
// account).
type ReturnCode int

// The return codes limits produces.
const (
	CodeSuccess             ReturnCode = 0
	CodeInvalidAccount      ReturnCode = 1
	CodeInvalidPIN          ReturnCode = 2
	CodeAccountInUse        ReturnCode = 3
	CodeZeroBalance         ReturnCode = 4
	CodeCardExpired         ReturnCode = 5
	CodeCreditLimitReached  ReturnCode = 6
	CodeUserDenied          ReturnCode = 7
	CodeServiceNotAvailable ReturnCode = 8
	CodeNumberBlocked       ReturnCode = 9
	CodeInvalidArgument     ReturnCode = 11
	CodeInsufficientBalance ReturnCode = 12
)

var returnCodeNames = map[ReturnCode]string{
	CodeSuccess: "success", CodeInvalidAccount: "invalid account number", CodeInvalidPIN: "invalid PIN",
	CodeAccountInUse: "account in use", CodeZeroBalance: "zero balance", CodeCardExpired: "card expired",
	CodeCreditLimitReached: "credit limit reached", CodeUserDenied: "user denied", CodeInvalidArgument: "invalid argument",
	CodeServiceNotAvailable: "service not available", CodeNumberBlocked: "called number blocked",
	CodeInsufficientBalance: "insufficient balance",
}

// String returns the code's meaning, e.g. "card expired".
func (c ReturnCode) String() string {
	if name, ok := returnCodeNames[c]; ok {
		return name
	}
	return "return code " + strconv.Itoa(int(c))
}
