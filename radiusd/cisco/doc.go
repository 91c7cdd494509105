// Package cisco decodes and encodes the vendor-specific attributes (vendor 9)
// that Cisco voice gateways put in RADIUS packets: the h323-* call details of
// accounting records, the Cisco-AVPair name=value pairs, and the h323-* reply
// attributes of debit-card (prepaid) applications.
//
// It is pure data handling with no I/O: parsing the Vendor-Specific attribute
// layout, stripping the "name=" prefix IOS repeats inside every value, and
// parsing Cisco's time, disconnect-cause and conference-id formats. Every
// parser returns an error on malformed input and never panics, because the
// bytes come straight off the network.
package cisco
