package main

// The definition's optional `disputes:` section (docs/record-format.md, "The definition"): the
// statutory clock of complaints. It changes no figure a verifier recomputes (the site's overdue
// flags only), so its shape is checked and nothing more.

import "fmt"

func (r *defReader) disputeRules(v any) {
	m := r.obj(v, "disputes")
	r.known(m, "disputes", "preset", "decide_days", "results_challenge_days", "certify_days",
		"court_challenge_days", "utc_offset_minutes", "source")
	r.oneOf(m, "preset", "disputes", "kg", "kg", "kz")
	bounds := map[string][2]int64{"decide_days": {1, 365}, "results_challenge_days": {0, 365},
		"certify_days": {1, 365}, "court_challenge_days": {0, 365}, "utc_offset_minutes": {-720, 840}}
	for key, b := range bounds {
		x, present := m[key]
		if !present || x == nil {
			continue
		}
		if n, ok := asInt(x); !ok || n < b[0] || n > b[1] {
			r.fail("disputes."+key, fmt.Sprintf("a whole number from %d to %d, or null, is required", b[0], b[1]))
		}
	}
	if s, present := m["source"]; present && s != nil {
		r.text(m, "source", "disputes", false)
	}
}
