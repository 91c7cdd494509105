// Package cdrgen writes CUCM CDR files shaped like the real ones (the 133
// field names of CUCM 14, their types line, quoted strings), as large as a
// test or benchmark needs, without holding them in memory.
package cdrgen

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Fields133 are the CDR field names of a CUCM 14 cluster, in its order (as in
// the 133-field file of ../shared/testdata/cdr).
var Fields133 = strings.Split("cdrRecordType,globalCallID_callManagerId,globalCallID_callId,origLegCallIdentifier,dateTimeOrigination,origNodeId,"+
	"origSpan,origIpAddr,callingPartyNumber,callingPartyUnicodeLoginUserID,origCause_location,origCause_value,"+
	"origPrecedenceLevel,origMediaTransportAddress_IP,origMediaTransportAddress_Port,origMediaCap_payloadCapability,"+
	"origMediaCap_maxFramesPerPacket,origMediaCap_g723BitRate,origVideoCap_Codec,origVideoCap_Bandwidth,"+
	"origVideoCap_Resolution,origVideoTransportAddress_IP,origVideoTransportAddress_Port,origRSVPAudioStat,"+
	"origRSVPVideoStat,destLegIdentifier,destNodeId,destSpan,destIpAddr,originalCalledPartyNumber,finalCalledPartyNumber,"+
	"finalCalledPartyUnicodeLoginUserID,destCause_location,destCause_value,destPrecedenceLevel,destMediaTransportAddress_IP,"+
	"destMediaTransportAddress_Port,destMediaCap_payloadCapability,destMediaCap_maxFramesPerPacket,destMediaCap_g723BitRate,"+
	"destVideoCap_Codec,destVideoCap_Bandwidth,destVideoCap_Resolution,destVideoTransportAddress_IP,"+
	"destVideoTransportAddress_Port,destRSVPAudioStat,destRSVPVideoStat,dateTimeConnect,dateTimeDisconnect,lastRedirectDn,"+
	"pkid,originalCalledPartyNumberPartition,callingPartyNumberPartition,finalCalledPartyNumberPartition,"+
	"lastRedirectDnPartition,duration,origDeviceName,destDeviceName,origCallTerminationOnBehalfOf,"+
	"destCallTerminationOnBehalfOf,origCalledPartyRedirectOnBehalfOf,lastRedirectRedirectOnBehalfOf,"+
	"origCalledPartyRedirectReason,lastRedirectRedirectReason,destConversationId,globalCallId_ClusterID,joinOnBehalfOf,"+
	"comment,authCodeDescription,authorizationLevel,clientMatterCode,origDTMFMethod,destDTMFMethod,callSecuredStatus,"+
	"origConversationId,origMediaCap_Bandwidth,destMediaCap_Bandwidth,authorizationCodeValue,outpulsedCallingPartyNumber,"+
	"outpulsedCalledPartyNumber,origIpv4v6Addr,destIpv4v6Addr,origVideoCap_Codec_Channel2,origVideoCap_Bandwidth_Channel2,"+
	"origVideoCap_Resolution_Channel2,origVideoTransportAddress_IP_Channel2,origVideoTransportAddress_Port_Channel2,"+
	"origVideoChannel_Role_Channel2,destVideoCap_Codec_Channel2,destVideoCap_Bandwidth_Channel2,"+
	"destVideoCap_Resolution_Channel2,destVideoTransportAddress_IP_Channel2,destVideoTransportAddress_Port_Channel2,"+
	"destVideoChannel_Role_Channel2,IncomingProtocolID,IncomingProtocolCallRef,OutgoingProtocolID,OutgoingProtocolCallRef,"+
	"currentRoutingReason,origRoutingReason,lastRedirectingRoutingReason,huntPilotPartition,huntPilotDN,"+
	"calledPartyPatternUsage,IncomingICID,IncomingOrigIOI,IncomingTermIOI,OutgoingICID,OutgoingOrigIOI,OutgoingTermIOI,"+
	"outpulsedOriginalCalledPartyNumber,outpulsedLastRedirectingNumber,wasCallQueued,totalWaitTimeInQueue,"+
	"callingPartyNumber_uri,originalCalledPartyNumber_uri,finalCalledPartyNumber_uri,lastRedirectDn_uri,"+
	"mobileCallingPartyNumber,finalMobileCalledPartyNumber,origMobileDeviceName,destMobileDeviceName,origMobileCallDuration,"+
	"destMobileCallDuration,mobileCallType,originalCalledPartyPattern,finalCalledPartyPattern,lastRedirectingPartyPattern,"+
	"huntPilotPattern,origDeviceType,destDeviceType,origDeviceSessionID,destDeviceSessionID", ",")

// integers are the fields CUCM types INTEGER; the rest are VARCHAR.
var integers = map[string]bool{}

func init() {
	for _, f := range strings.Split("cdrRecordType,globalCallID_callManagerId,globalCallID_callId,origLegCallIdentifier,dateTimeOrigination,"+
		"origNodeId,origSpan,origIpAddr,origCause_location,origCause_value,origPrecedenceLevel,origMediaTransportAddress_IP,"+
		"origMediaTransportAddress_Port,destLegIdentifier,destNodeId,destSpan,destIpAddr,destCause_location,destCause_value,"+
		"destPrecedenceLevel,dateTimeConnect,dateTimeDisconnect,duration", ",") {
		integers[f] = true
	}
}

// Call is one generated CDR's varying part.
type Call struct {
	CallID                    int
	Calling, Called           string
	OrigDevice, DestDevice    string
	Origination, Connect, End int64 // epoch seconds; Connect 0: unanswered
}

// WriteCUCM writes a CDR file of n calls with the 133 fields (in the order
// given, e.g. shuffled), call(i) giving each call. The file ends with a
// newline unless cut is set, as CUCM's own files sometimes do.
func WriteCUCM(w io.Writer, fields []string, n int, call func(i int) Call) error {
	out := bufio.NewWriterSize(w, 1<<16)
	types := make([]string, len(fields))
	for i, f := range fields {
		types[i] = "VARCHAR(50)"
		if integers[f] {
			types[i] = "INTEGER"
		}
	}
	fmt.Fprintln(out, quoteAll(fields))
	fmt.Fprintln(out, quoteAll(types))
	values := make([]string, len(fields))
	for i := range n {
		c := call(i)
		row := map[string]string{
			"cdrRecordType": "1", "globalCallID_callManagerId": "2", "globalCallID_callId": fmt.Sprint(c.CallID),
			"origLegCallIdentifier": fmt.Sprint(10_000_000 + 2*c.CallID), "destLegIdentifier": fmt.Sprint(10_000_001 + 2*c.CallID),
			"dateTimeOrigination": fmt.Sprint(c.Origination), "dateTimeConnect": fmt.Sprint(c.Connect), "dateTimeDisconnect": fmt.Sprint(c.End),
			"callingPartyNumber": c.Calling, "originalCalledPartyNumber": c.Called, "finalCalledPartyNumber": c.Called,
			"origDeviceName": c.OrigDevice, "destDeviceName": c.DestDevice, "origIpAddr": "17502380", "destIpAddr": "-939524086",
			"origCause_value": "16", "globalCallId_ClusterID": "GenCluster", "pkid": fmt.Sprintf("00000000-0000-4000-8000-%012d", c.CallID),
			"comment": "generated, with a comma", "duration": "0",
		}
		if c.Connect > 0 {
			row["duration"] = fmt.Sprint(c.End - c.Connect)
		}
		for j, f := range fields {
			v := row[f]
			if integers[f] {
				if v == "" {
					v = "0"
				}
				values[j] = v
			} else {
				values[j] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			}
		}
		fmt.Fprintln(out, strings.Join(values, ","))
	}
	return out.Flush()
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = `"` + v + `"`
	}
	return strings.Join(q, ",")
}
