// Package attrnames names RADIUS attributes and their integer values from
// FreeRADIUS-format dictionary files read at start, so operators can add a
// vendor's attributes by dropping in a file instead of recompiling.
//
// Lookups are on the packet hot path: everything is resolved into arrays and
// maps when loading, and looking up a name does not allocate.
package attrnames

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"layeh.com/radius/dictionary"
)

// topFile is the dictionary file Load starts from; it $INCLUDEs the others.
const topFile = "dictionary"

// Names maps attribute numbers to dictionary names. The zero value and a nil
// *Names name nothing, so every lookup falls back to the numeric form.
type Names struct {
	attrs   [256]string
	vendors map[uint32]*[256]string
	// values maps an attribute number to its VALUE names by number.
	values [256]map[uint32]string
}

// unknownAttrNames holds the "Attr-N" fallbacks so Name never formats a string.
var unknownAttrNames = func() (names [256]string) {
	for i := range names {
		names[i] = "Attr-" + strconv.Itoa(i)
	}
	return names
}()

func unknownVendorAttrName(vendor uint32, t byte) string {
	return "Attr-26." + strconv.FormatUint(uint64(vendor), 10) + "." + strconv.Itoa(int(t))
}

// Load parses dir/dictionary and the files it $INCLUDEs (paths relative to
// dir) with layeh.com/radius/dictionary. Parse errors name the file and line.
//
// Only what fits the lookups is kept: top-level attributes and vendor
// attributes numbered 1..255 (TLVs, extended attributes and FreeRADIUS's
// internal numbers above 255 are skipped), and VALUEs of top-level
// attributes. When two names share a number the later one names it, so a
// file included later can rename; when two VALUE names share a number the
// first one stays, so an alias added later does not rename it (both as
// FreeRADIUS does).
func Load(dir string) (*Names, error) {
	parser := dictionary.Parser{Opener: &onceOpener{root: dir, opened: make(map[string]bool)}}
	dict, err := parser.ParseFile(topFile)
	if err != nil {
		return nil, fmt.Errorf("attrnames: %w", err)
	}

	names := &Names{vendors: make(map[uint32]*[256]string, len(dict.Vendors))}
	numberByName := make(map[string]byte, len(dict.Attributes))
	for _, attr := range dict.Attributes {
		if number, ok := wireNumber(attr.OID); ok {
			names.attrs[number] = attr.Name
			numberByName[attr.Name] = number
		}
	}
	for _, vendor := range dict.Vendors {
		// Precompute the fallbacks too, so VendorName never formats for a
		// vendor the dictionary knows.
		vendorNames := new([256]string)
		for t := range vendorNames {
			vendorNames[t] = unknownVendorAttrName(uint32(vendor.Number), byte(t))
		}
		for _, attr := range vendor.Attributes {
			if number, ok := wireNumber(attr.OID); ok {
				vendorNames[number] = attr.Name
			}
		}
		names.vendors[uint32(vendor.Number)] = vendorNames
	}
	for _, value := range dict.Values {
		number, ok := numberByName[value.Attribute]
		if !ok {
			return nil, fmt.Errorf("attrnames: VALUE %s %s refers to an attribute that is not in the dictionary", value.Attribute, value.Name)
		}
		if names.values[number] == nil {
			names.values[number] = make(map[uint32]string)
		}
		// The parser reads VALUE numbers as 32-bit, so the conversion is exact.
		if _, taken := names.values[number][uint32(value.Number)]; !taken {
			names.values[number][uint32(value.Number)] = value.Name
		}
	}
	return names, nil
}

// wireNumber returns the one-octet attribute number of a plain (non-TLV) OID.
func wireNumber(oid dictionary.OID) (byte, bool) {
	if len(oid) != 1 || oid[0] < 1 || oid[0] > 255 {
		return 0, false
	}
	return byte(oid[0]), true
}

// Name returns the attribute's dictionary name, or "Attr-N" when unknown.
func (n *Names) Name(t byte) string {
	if n != nil && n.attrs[t] != "" {
		return n.attrs[t]
	}
	return unknownAttrNames[t]
}

// VendorName returns the vendor attribute's name, or
// "Attr-26.<vendor>.<type>" when unknown. Only a vendor missing from the
// dictionary costs an allocation, to format that fallback.
func (n *Names) VendorName(vendor uint32, t byte) string {
	if n != nil {
		if vendorNames, ok := n.vendors[vendor]; ok {
			return vendorNames[t]
		}
	}
	return unknownVendorAttrName(vendor, t)
}

// Value returns the named VALUE of an integer attribute (e.g.
// Acct-Status-Type 3 -> "Interim-Update"), ok=false if none.
func (n *Names) Value(t byte, v uint32) (string, bool) {
	if n == nil {
		return "", false
	}
	name, ok := n.values[t][v] // a nil map reads as empty
	return name, ok
}

// onceOpener opens dictionary files relative to root and refuses to open one
// twice. The parser only recognises a file including the top file again: a
// file including itself makes it recurse, holding a descriptor per level,
// until opening fails with "too many open files" (under a very high limit it
// could exhaust the stack instead, which Go cannot recover from).
type onceOpener struct {
	root   string
	opened map[string]bool
}

func (o *onceOpener) OpenFile(name string) (dictionary.File, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(o.root, path)
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// Resolve symlinks so two paths to one file count as one.
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	if o.opened[path] {
		return nil, fmt.Errorf("%s is included more than once", path)
	}
	o.opened[path] = true
	return os.Open(path)
}
