package web

import (
	"fmt"
	"html/template"
	"math/big"
	"strings"

	"github.com/radbill/radbill/rating"
)

// barChart draws values as an SVG bar chart, server-side: no script, and
// only presentation attributes, which the CSP allows. Bars are scaled
// with integers, so the money stays exact up to the drawing.
func barChart(labels []string, values []rating.Money) template.HTML {
	const width, height, top, bottom = 720, 240, 10, 50
	if len(values) == 0 {
		return ""
	}
	var peak rating.Money
	for _, v := range values {
		peak = max(peak, v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="chart">`, width, height)
	slot := float64(width) / float64(len(values))
	for i, v := range values {
		h := 0.0
		if peak > 0 && v > 0 {
			scaled := new(big.Int).Quo(new(big.Int).Mul(big.NewInt(int64(v)), big.NewInt(10_000)), big.NewInt(int64(peak)))
			h = float64(scaled.Int64()) / 10_000 * float64(height-top-bottom)
		}
		x := float64(i)*slot + slot*0.1
		y := float64(height-bottom) - h
		label := template.HTMLEscapeString(labels[i])
		fmt.Fprintf(&b, `<g class="bar"><title>%s: %s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#3b6ea5"></rect></g>`,
			label, v.Format(2), x, y, slot*0.8, h)
		if len(values) <= 31 {
			short := []rune(labels[i])
			if len(short) > 10 {
				short = append(short[:9], '…')
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="end" transform="rotate(-45 %.1f %d)">%s</text>`,
				x+slot*0.4, height-bottom+12, x+slot*0.4, height-bottom+12, template.HTMLEscapeString(string(short)))
		}
	}
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#888"></line></svg>`, height-bottom, width, height-bottom)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}
