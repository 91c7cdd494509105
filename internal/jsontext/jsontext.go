// Package jsontext appends JSON strings without reflection, for the JSON
// columns written on the hot path (the CDR's raw attributes and rating
// detail).
package jsontext

// AppendString appends s as a JSON string. s must be valid UTF-8 (the
// callers' values are); quotes, backslashes and control characters are
// escaped.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
