package normalize_test

import (
	"fmt"

	"github.com/radbill/radbill/normalize"
)

func ExampleTranslator_Translate() {
	tr, err := normalize.Compile([]normalize.Rule{
		{ID: 1, Position: 10, Direction: normalize.Called, Kind: normalize.Prefix, Match: "00", Final: true,
			Description: "international"},
		{ID: 2, Position: 20, Direction: normalize.Called, Kind: normalize.Prefix, Match: "0", Replace: "359", Final: true,
			Description: "Bulgarian national to E.164"},
		{ID: 3, Position: 30, Direction: normalize.Called, Kind: normalize.Regexp, Match: `^(\d+)$`, Replace: "3592981$1",
			MinLength: 4, MaxLength: 4, Final: true, Description: "branch extensions"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	gw := normalize.Gateway{ClientName: "gw-sofia", NASIP: "10.1.0.1"}
	for _, number := range []string{"0888 123-456", "00 44 20 7946 0000", "1234", "+359 2 981 1234", "0888123456#"} {
		n, fired, ok := tr.Translate(gw, normalize.Called, number)
		fmt.Printf("%-20q -> %-16q fired %v ok %v\n", number, n, fired, ok)
	}
	// Output:
	// "0888 123-456"       -> "359888123456"   fired [2] ok true
	// "00 44 20 7946 0000" -> "442079460000"   fired [1] ok true
	// "1234"               -> "35929811234"    fired [3] ok true
	// "+359 2 981 1234"    -> "35929811234"    fired [] ok true
	// "0888123456#"        -> "359888123456#"  fired [2] ok false
}
