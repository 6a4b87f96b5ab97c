package main

// results.json recomputed from the fold: counts at every level, list seats, district winners.

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
)

type count struct {
	stations, voters, issued, found, invalid, valid int64
	votes                                           map[string]int64
}

func (c *count) add(p *protocol) {
	if c.votes == nil {
		c.votes = map[string]int64{}
	}
	c.stations++
	c.voters += p.line["voters_on_list"]
	c.issued += p.issued()
	c.found += p.found()
	c.invalid += p.line["invalid"]
	c.valid += p.line["valid"]
	for o, n := range p.votes {
		c.votes[o] += n
	}
}

func (c *count) json(order []string) map[string]any {
	votes := map[string]any{}
	for _, o := range order {
		votes[o] = c.votes[o]
	}
	return map[string]any{"stations": c.stations, "voters_on_list": c.voters, "issued": c.issued,
		"found": c.found, "invalid": c.invalid, "valid": c.valid, "votes": votes}
}

type unitResult struct {
	level, id, name, parent string // parent "" is null
	expected, registered    int64
	annulled                int64 // stations of the unit whose result an executed decision annulled
	counted, scanner, hand  count
}

func (u *unitResult) json(order []string) map[string]any {
	var parent any
	if u.parent != "" {
		parent = u.parent
	}
	out := map[string]any{"name": u.name, "parent": parent, "stations_expected": u.expected,
		"registered": u.registered, "counted": u.counted.json(order), "scanner": u.scanner.json(order),
		"hand": u.hand.json(order)}
	if u.annulled > 0 {
		out["annulled"] = u.annulled
	}
	return out
}

func unitsOf(e *election, s *station) [][4]string {
	var reg region
	for _, r := range e.regions {
		if r.id == s.region {
			reg = r
		}
	}
	dname := ""
	for _, d := range reg.districts {
		if d.id == s.district {
			dname = d.name
		}
	}
	units := [][4]string{{"station", s.id, s.name, s.district}, {"district", s.district, dname, s.region},
		{"region", reg.id, reg.name, "national"}, {"national", "national", e.name, ""}}
	if s.country != "" || reg.abroad {
		units = append(units, [4]string{"abroad", "abroad", "Abroad", "national"})
	}
	if s.country != "" {
		units = append(units, [4]string{"country", s.country, s.country, "abroad"})
	}
	return units
}

// resultsDocument: results.json (the levels above the stations), and per region the document
// results/stations/<region>.json holding its stations' units.
// An annulled station counts in its own unit only; the units above count it in `annulled`.
func resultsDocument(e *election, protocols []*protocol, annulled map[string]annulment, waiting map[string]string) (map[string]any, map[string]map[string]any, map[string]map[string]*unitResult, []string) {
	allUnits := map[string]map[string]*unitResult{} // contest → LEVEL/ID → unit
	stationContests := map[string]map[string]any{}
	for _, r := range e.regions {
		stationContests[r.id] = map[string]any{}
	}
	kinds := map[[2]string]map[string]*protocol{}
	for _, p := range protocols {
		k := [2]string{p.station, p.contest}
		if kinds[k] == nil {
			kinds[k] = map[string]*protocol{}
		}
		kinds[k][p.kind] = p
	}
	contests := map[string]any{}
	seats := map[string]any{}
	districts := map[string]any{}
	var problems []string
	for _, c := range e.contests {
		units := map[string]*unitResult{}
		var regionOrder []string
		for _, s := range e.stations {
			if !c.covers(s.district) {
				continue
			}
			k := kinds[[2]string{s.id, c.id}]
			counted := k["official"]
			if counted == nil {
				counted = k["preliminary"]
			}
			_, out := annulled[s.id]
			for n, u := range unitsOf(e, s) {
				key := u[0] + "/" + u[1]
				r := units[key]
				if r == nil {
					r = &unitResult{level: u[0], id: u[1], name: u[2], parent: u[3]}
					units[key] = r
					if u[0] == "region" {
						regionOrder = append(regionOrder, key)
					}
				}
				r.expected++
				r.registered += s.registered
				if out {
					r.annulled++
					if n > 0 {
						continue
					}
				}
				if counted != nil {
					r.counted.add(counted)
				}
				if p := k["preliminary"]; p != nil {
					r.scanner.add(p)
				}
				if p := k["official"]; p != nil {
					r.hand.add(p)
				}
			}
		}
		allUnits[c.id] = units
		order := c.ballotOrder()
		doc := map[string]any{}
		for key, u := range units {
			if u.level == "station" {
				region := e.byStation[u.id].region
				rows, _ := stationContests[region][c.id].(map[string]any)
				if rows == nil {
					rows = map[string]any{}
					stationContests[region][c.id] = rows
				}
				rows[key] = u.json(order)
				continue
			}
			doc[key] = u.json(order)
		}
		contests[c.id] = doc
		national := units["national/national"]
		if national == nil {
			continue
		}
		switch c.kind {
		case "party-list":
			if s := seatStatus(e, c, national, regionOrder, units, waiting[c.id]); s != nil {
				seats[c.id] = s
			}
		case "district":
			if national.counted.stations > 0 {
				districts[c.id] = decideDistrict(c, &national.counted)
			}
		}
	}
	stationDocs := map[string]map[string]any{}
	for region, cs := range stationContests {
		stationDocs[region] = map[string]any{"format": int64(1), "election": e.id, "region": region, "contests": cs}
	}
	doc := map[string]any{"format": int64(1), "election": e.id, "contests": contests, "seats": seats,
		"districts": districts}
	if len(annulled) > 0 {
		out := map[string]any{}
		for id, a := range annulled {
			out[id] = a.json()
		}
		doc["annulled"] = out
	}
	return doc, stationDocs, allUnits, problems
}

// seatStatus: a party-list contest's seats with their status — undetermined (with the reason)
// while nothing, or nothing in a home region under a regional threshold, is counted; else final
// or provisional (stations still reporting). nil when the cap cannot be met.
// A complete count whose contest a pending complaint affects waits, with the reason.
func seatStatus(e *election, c *contest, national *unitResult, regionOrder []string, units map[string]*unitResult, waits string) map[string]any {
	var partyVotes int64
	for _, p := range c.options {
		partyVotes += national.counted.votes[p]
	}
	if base(c, &national.counted) == 0 || partyVotes == 0 {
		return map[string]any{"status": "undetermined", "reason": "no votes counted yet"}
	}
	var regional []*unitResult
	var silent []string
	if c.regionThreshold.Sign() > 0 {
		for _, key := range regionOrder {
			u := units[key]
			for _, r := range e.regions {
				if r.id == u.id && !r.abroad {
					regional = append(regional, u)
					if base(c, &u.counted) == 0 {
						silent = append(silent, u.id)
					}
				}
			}
		}
	}
	if len(silent) > 0 {
		sort.Strings(silent)
		return map[string]any{"status": "undetermined", "reason": fmt.Sprintf(
			"no votes counted yet in region %s: the regional threshold of %s%% cannot be judged",
			strings.Join(silent, ", "), c.regionRaw)}
	}
	s, err := listSeats(c, national, regional)
	if err != nil {
		return nil
	}
	s["status"] = "provisional"
	if national.counted.stations+national.annulled >= national.expected {
		s["status"] = "final"
		if waits != "" {
			s["status"], s["reason"] = "waiting", waits
		}
	}
	return s
}

func base(c *contest, n *count) int64 {
	if c.base == "voted" {
		return n.found
	}
	return n.valid
}

// reaches: votes·100 ≥ pct·base, exactly.
func reaches(votes, base int64, pct *big.Rat) bool {
	lhs := new(big.Rat).SetInt64(votes * 100)
	rhs := new(big.Rat).Mul(pct, new(big.Rat).SetInt64(base))
	return lhs.Cmp(rhs) >= 0
}

// share: votes/base in percent, truncated to two decimals ("4.99%").
func share(votes, base int64) string {
	h := new(big.Int).Div(big.NewInt(votes*10000), big.NewInt(base)).Int64()
	return fmt.Sprintf("%d.%02d%%", h/100, h%100)
}

func listSeats(c *contest, national *unitResult, regional []*unitResult) (map[string]any, error) {
	doc, _, err := allocateList(c, national, regional)
	return doc, err
}

// allocateList: the seats document, and the parties held at the cap.
func allocateList(c *contest, national *unitResult, regional []*unitResult) (map[string]any, []string, error) {
	parties := c.options
	votes := map[string]int64{}
	var valid int64
	for _, p := range parties {
		votes[p] = national.counted.votes[p]
		valid += votes[p]
	}
	b := base(c, &national.counted)
	if b < valid || b < 1 {
		return nil, nil, fmt.Errorf("base %d is less than the %d votes given for parties (or zero)", b, valid)
	}
	if c.regionThreshold.Sign() > 0 && len(regional) == 0 {
		return nil, nil, fmt.Errorf("a regional threshold needs votes by region; none given")
	}
	for _, r := range regional {
		if base(c, &r.counted) <= 0 {
			return nil, nil, fmt.Errorf("region %s: no votes: no percentage can be taken", r.id)
		}
	}
	var qualified []string
	excluded := map[string]any{}
	for _, p := range parties {
		v := votes[p]
		if v == 0 {
			excluded[p] = "no votes"
			continue
		}
		var reasons []string
		if c.threshold.Sign() > 0 && !reaches(v, b, c.threshold) {
			reasons = append(reasons, fmt.Sprintf("%s < %s%% national threshold", share(v, b), c.thresholdText))
		}
		for _, r := range regional {
			rv, rb := r.counted.votes[p], base(c, &r.counted)
			if !reaches(rv, rb, c.regionThreshold) {
				reasons = append(reasons, fmt.Sprintf("%s < %s%% threshold in region %s", share(rv, rb), c.regionText, r.id))
			}
		}
		if len(reasons) > 0 {
			excluded[p] = strings.Join(reasons, "; ")
		} else {
			qualified = append(qualified, p)
		}
	}
	if c.seatCap > 0 && len(qualified) > 0 && c.seatCap*int64(len(qualified)) < c.seats {
		return nil, nil, fmt.Errorf("%d qualifying parties × cap %d < %d seats", len(qualified), c.seatCap, c.seats)
	}
	result := map[string]int64{}
	capped := map[string]bool{}
	var cappedSeats int64
	for len(qualified) > 0 {
		var pool []string
		for _, p := range qualified {
			if !capped[p] {
				pool = append(pool, p)
			}
		}
		alloc := apportion(pool, votes, c.seats-cappedSeats, c.method)
		var over []string
		for _, p := range pool {
			if c.seatCap > 0 && alloc[p] > c.seatCap {
				over = append(over, p)
			}
		}
		if len(over) == 0 {
			for p, n := range alloc {
				result[p] = n
			}
			for p := range capped {
				result[p] = c.seatCap
			}
			break
		}
		for _, p := range over {
			capped[p] = true
			cappedSeats += c.seatCap
		}
	}
	seatDoc := map[string]any{}
	for _, p := range parties {
		seatDoc[p] = result[p]
	}
	q := []any{}
	for _, p := range qualified {
		q = append(q, p)
	}
	var cappedList []string
	for _, p := range parties {
		if capped[p] {
			cappedList = append(cappedList, p)
		}
	}
	return map[string]any{"seats": seatDoc, "qualified": q, "excluded": excluded}, cappedList, nil
}

// tieOrder: more votes first, then party id in code-point order.
func tieBefore(a, b string, votes map[string]int64) bool {
	if votes[a] != votes[b] {
		return votes[a] > votes[b]
	}
	return a < b
}

func apportion(pool []string, votes map[string]int64, seats int64, method string) map[string]int64 {
	out := map[string]int64{}
	for _, p := range pool {
		out[p] = 0
	}
	if method == "hare" {
		var total int64
		for _, p := range pool {
			total += votes[p]
		}
		if seats == 0 || total == 0 {
			return out
		}
		rem := map[string]int64{}
		var given int64
		for _, p := range pool {
			out[p], rem[p] = votes[p]*seats/total, votes[p]*seats%total
			given += out[p]
		}
		ranked := append([]string{}, pool...)
		sort.SliceStable(ranked, func(i, j int) bool {
			if rem[ranked[i]] != rem[ranked[j]] {
				return rem[ranked[i]] > rem[ranked[j]]
			}
			return tieBefore(ranked[i], ranked[j], votes)
		})
		for i := int64(0); i < seats-given && int(i) < len(ranked); i++ {
			out[ranked[i]]++
		}
		return out
	}
	divisor := func(s int64) int64 { return s + 1 } // D'Hondt: 1, 2, 3, …
	if method == "sainte-lague" {
		divisor = func(s int64) int64 { return 2*s + 1 } // 1, 3, 5, …
	}
	var contenders []string
	for _, p := range pool {
		if votes[p] > 0 {
			contenders = append(contenders, p)
		}
	}
	if len(contenders) == 0 {
		return out
	}
	for k := int64(0); k < seats; k++ {
		best := contenders[0]
		for _, p := range contenders[1:] {
			lhs := votes[p] * divisor(out[best])
			rhs := votes[best] * divisor(out[p])
			if lhs > rhs || (lhs == rhs && tieBefore(p, best, votes)) {
				best = p
			}
		}
		out[best]++
	}
	return out
}

func decideDistrict(c *contest, n *count) map[string]any {
	type cand struct {
		id    string
		votes int64
	}
	var ranking []cand
	for _, o := range c.options {
		ranking = append(ranking, cand{o, n.votes[o]})
	}
	sort.SliceStable(ranking, func(i, j int) bool {
		if ranking[i].votes != ranking[j].votes {
			return ranking[i].votes > ranking[j].votes
		}
		return ranking[i].id < ranking[j].id
	})
	var floor int64
	if c.againstAll {
		floor = n.votes[againstAll]
	}
	var elected []string
	var shown []string
	for i, r := range ranking {
		if int64(i) < c.seats && r.votes >= floor {
			elected = append(elected, r.id)
			shown = append(shown, fmt.Sprintf("%s (%d)", r.id, r.votes))
		}
	}
	vacant := c.seats - int64(len(elected))
	var tied []string
	line := int(c.seats)
	if vacant == 0 && line > 0 && line < len(ranking) && ranking[line-1].votes == ranking[line].votes {
		for _, r := range ranking {
			if r.votes == ranking[line].votes {
				tied = append(tied, r.id)
			}
		}
	}
	who := strings.Join(shown, ", ")
	if who == "" {
		who = "nobody"
	}
	parts := []string{fmt.Sprintf("Elected (%d of %d): %s.", len(elected), c.seats, who)}
	if vacant > 0 {
		why := " too few candidates;"
		if c.againstAll && len(ranking) > len(elected) {
			why = fmt.Sprintf(" 'against all' (%d) outpolled the next candidates;", floor)
		}
		parts = append(parts, fmt.Sprintf("%d seat(s) vacant:%s a repeat election is needed.", vacant, why))
	}
	if len(tied) > 0 {
		parts = append(parts, fmt.Sprintf("Equal votes (%s) across the last-seat line were ordered by candidate id; the law's tie rule must be applied.", strings.Join(tied, ", ")))
	}
	el := []any{}
	for _, x := range elected {
		el = append(el, x)
	}
	return map[string]any{"elected": el, "summary": strings.Join(parts, " ")}
}

// differences: every path at which the published and recomputed JSON values differ.
func differences(published, computed any, path string, out *[]string) {
	pm, ok1 := published.(map[string]any)
	cm, ok2 := computed.(map[string]any)
	if ok1 && ok2 {
		keys := map[string]bool{}
		for k := range pm {
			keys[k] = true
		}
		for k := range cm {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			where := k
			if path != "" {
				where = path + "." + k
			}
			pv, inP := pm[k]
			cv, inC := cm[k]
			switch {
			case !inC:
				*out = append(*out, where+": published but not recomputed")
			case !inP:
				*out = append(*out, fmt.Sprintf("%s: recomputed (%s) but not published", where, short(cv)))
			default:
				differences(pv, cv, where, out)
			}
		}
		return
	}
	if string(mustCanonical(normalise(published))) != string(mustCanonical(normalise(computed))) {
		*out = append(*out, fmt.Sprintf("%s: published %s, recomputed %s", path, short(published), short(computed)))
	}
}

func short(v any) string {
	s := string(mustCanonical(normalise(v)))
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
