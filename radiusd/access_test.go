package radiusd

import (
	"strconv"

	"layeh.com/radius"

	"github.com/radbill/radbill/radiusd/cisco"
)

const attrVendorSpecific = 26

// RejectAccess answers every Access-Request with Access-Reject and
// h323-return-code 8 (service not available): the authentication handler of
// the pipeline tests.
type RejectAccess struct{}

func (RejectAccess) ServeRADIUS(w ResponseWriter, r *Request) {
	resp := r.Response(radius.CodeAccessReject)
	if vsa, err := cisco.NewVSA(cisco.AttrReturnCode, strconv.Itoa(int(cisco.ServiceNotAvailable))); err == nil {
		resp.Add(attrVendorSpecific, vsa)
	}
	w.Reply(resp)
}
