// Package q850 names ITU-T Q.850 cause values, the reasons a call ended
// that Cisco gateways report (in hexadecimal) as h323-disconnect-cause.
package q850

import "strconv"

// Name returns the cause's name, e.g. "normal call clearing" for 16, or
// "cause N" for a value Q.850 does not define.
func Name(cause int64) string {
	if name, ok := names[cause]; ok {
		return name
	}
	return "cause " + strconv.FormatInt(cause, 10)
}

// names are the causes of ITU-T Q.850 (05/1998) table 1, lower-cased.
var names = map[int64]string{
	1:   "unallocated (unassigned) number",
	2:   "no route to specified transit network",
	3:   "no route to destination",
	4:   "send special information tone",
	5:   "misdialled trunk prefix",
	6:   "channel unacceptable",
	7:   "call awarded and being delivered in an established channel",
	8:   "preemption",
	9:   "preemption, circuit reserved for reuse",
	16:  "normal call clearing",
	17:  "user busy",
	18:  "no user responding",
	19:  "no answer from user (user alerted)",
	20:  "subscriber absent",
	21:  "call rejected",
	22:  "number changed",
	26:  "non-selected user clearing",
	27:  "destination out of order",
	28:  "invalid number format (address incomplete)",
	29:  "facility rejected",
	30:  "response to status enquiry",
	31:  "normal, unspecified",
	34:  "no circuit/channel available",
	38:  "network out of order",
	39:  "permanent frame mode connection out of service",
	40:  "permanent frame mode connection operational",
	41:  "temporary failure",
	42:  "switching equipment congestion",
	43:  "access information discarded",
	44:  "requested circuit/channel not available",
	46:  "precedence call blocked",
	47:  "resource unavailable, unspecified",
	49:  "quality of service not available",
	50:  "requested facility not subscribed",
	53:  "outgoing calls barred within closed user group",
	55:  "incoming calls barred within closed user group",
	57:  "bearer capability not authorized",
	58:  "bearer capability not presently available",
	62:  "inconsistency in designated outgoing access information and subscriber class",
	63:  "service or option not available, unspecified",
	65:  "bearer capability not implemented",
	66:  "channel type not implemented",
	69:  "requested facility not implemented",
	70:  "only restricted digital information bearer capability is available",
	79:  "service or option not implemented, unspecified",
	81:  "invalid call reference value",
	82:  "identified channel does not exist",
	83:  "a suspended call exists, but this call identity does not",
	84:  "call identity in use",
	85:  "no call suspended",
	86:  "call having the requested call identity has been cleared",
	87:  "user not member of closed user group",
	88:  "incompatible destination",
	90:  "non-existent closed user group",
	91:  "invalid transit network selection",
	95:  "invalid message, unspecified",
	96:  "mandatory information element is missing",
	97:  "message type non-existent or not implemented",
	98:  "message not compatible with call state or message type non-existent or not implemented",
	99:  "information element/parameter non-existent or not implemented",
	100: "invalid information element contents",
	101: "message not compatible with call state",
	102: "recovery on timer expiry",
	103: "parameter non-existent or not implemented, passed on",
	110: "message with unrecognized parameter, discarded",
	111: "protocol error, unspecified",
	127: "interworking, unspecified",
}
