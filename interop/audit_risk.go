package main

// The audit's assertions and their measured risks ("The assertions" and "The risk" under Audits
// in docs/record-format.md): the seats allocated on the reported batches, the linear assertions
// that imply them, each batch's overstatement, and ALPHA's test statistic.

import (
	"fmt"
	"math"
	"math/big"
)

type batch struct {
	id, region string // region: a home region's id, "" otherwise
	votes      map[string]int64
	invalid    int64
}

func (b batch) ballots() int64 {
	n := b.invalid
	for _, v := range b.votes {
		n += v
	}
	return n
}

type assertion struct {
	id           string
	coeffs       map[string]*big.Rat // option → g
	other, inv   *big.Rat
	region       string // "" for every ballot
	hasRegion    bool
	scale        int64
	listed       map[string]int64
	otherI, invI int64
}

func rat(a, b int64) *big.Rat { return big.NewRat(a, b) }

func newAssertion(id string, coeffs map[string]*big.Rat, other, inv *big.Rat, region string, hasRegion bool) assertion {
	a := assertion{id: id, coeffs: coeffs, other: other, inv: inv, region: region, hasRegion: hasRegion}
	lcm := big.NewInt(1)
	all := []*big.Rat{other, inv}
	for _, c := range coeffs {
		all = append(all, c)
	}
	for _, v := range all {
		d := v.Denom()
		g := new(big.Int).GCD(nil, nil, lcm, d)
		lcm.Mul(lcm, new(big.Int).Div(d, g))
	}
	a.scale = lcm.Int64()
	toInt := func(v *big.Rat) int64 {
		return new(big.Rat).Mul(v, new(big.Rat).SetInt(lcm)).Num().Int64()
	}
	a.listed = map[string]int64{}
	for o, c := range coeffs {
		a.listed[o] = toInt(c)
	}
	a.otherI, a.invI = toInt(other), toInt(inv)
	return a
}

// gi: Σ g over a batch, times the common denominator.
func (a assertion) gi(b batch) int64 {
	if a.hasRegion && b.region != a.region {
		return 0
	}
	total := a.invI * b.invalid
	for o, n := range b.votes {
		c, ok := a.listed[o]
		if !ok {
			c = a.otherI
		}
		total += c * n
	}
	return total
}

// lowerI: L·unit, L = −(the least g of a ballot, 0 counted for a regional assertion).
func (a assertion) lowerI() int64 {
	low := a.otherI
	if a.invI < low {
		low = a.invI
	}
	for _, c := range a.listed {
		if c < low {
			low = c
		}
	}
	if a.hasRegion && low > 0 {
		low = 0
	}
	return -low
}

func threshold(party string, t *big.Rat, base string, reached bool, region string, hasRegion bool) assertion {
	inv := new(big.Rat).Neg(t)
	if base == "valid" {
		inv = new(big.Rat)
	}
	where := "national"
	if hasRegion {
		where = region
	}
	if reached {
		return newAssertion("threshold:"+where+":"+party, map[string]*big.Rat{party: new(big.Rat).Sub(rat(1, 1), t)},
			new(big.Rat).Neg(t), inv, region, hasRegion)
	}
	return newAssertion("below:"+where+":"+party, map[string]*big.Rat{party: new(big.Rat).Sub(t, rat(1, 1))},
		t, new(big.Rat).Neg(inv), region, hasRegion)
}

// seatAssertions: the assertions of the allocation the reported batches give.
func seatAssertions(c *contest, reported []batch) ([]assertion, error) {
	votes := map[string]int64{}
	for _, p := range c.options {
		votes[p] = 0
	}
	var base int64
	regionVotes := map[string]map[string]int64{}
	regionBase := map[string]int64{}
	var regionOrder []string
	for _, b := range reported {
		var valid int64
		for o, n := range b.votes {
			valid += n
			if o != againstAll {
				votes[o] += n
			}
		}
		nBase := b.ballots()
		if c.base == "valid" {
			nBase = valid
		}
		base += nBase
		if b.region != "" {
			if regionVotes[b.region] == nil {
				regionVotes[b.region] = map[string]int64{}
				regionOrder = append(regionOrder, b.region)
			}
			for o, n := range b.votes {
				if o != againstAll {
					regionVotes[b.region][o] += n
				}
			}
			regionBase[b.region] += nBase
		}
	}
	unit := func(id string, v map[string]int64, b int64) *unitResult {
		return &unitResult{id: id, counted: count{votes: v, found: b, valid: b}}
	}
	var regional []*unitResult
	if c.regionThreshold.Sign() > 0 {
		for _, r := range regionOrder {
			regional = append(regional, unit(r, regionVotes[r], regionBase[r]))
		}
	}
	doc, capped, err := allocateList(c, unit("national", votes, base), regional)
	if err != nil {
		return nil, err
	}
	seats := map[string]int64{}
	for p, v := range doc["seats"].(map[string]any) {
		seats[p] = v.(int64)
	}
	t := new(big.Rat).Quo(c.threshold, rat(100, 1))
	tr := new(big.Rat).Quo(c.regionThreshold, rat(100, 1))
	var out []assertion
	var qualified []string
	for _, q := range doc["qualified"].([]any) {
		qualified = append(qualified, q.(string))
	}
	for _, p := range qualified {
		if t.Sign() > 0 {
			out = append(out, threshold(p, t, c.base, true, "", false))
		}
		if tr.Sign() > 0 {
			for _, r := range regionOrder {
				out = append(out, threshold(p, tr, c.base, true, r, true))
			}
		}
	}
	noThreshold := t.Sign() == 0 && tr.Sign() == 0
	excluded := doc["excluded"].(map[string]any)
	for _, p := range c.options {
		if _, ex := excluded[p]; !ex || noThreshold {
			continue
		}
		var best *assertion
		var bestGap *big.Rat
		baseN := base
		if t.Sign() > 0 && !reaches(votes[p], baseN, c.threshold) {
			a := threshold(p, t, c.base, false, "", false)
			best, bestGap = &a, new(big.Rat).Sub(t, rat(votes[p], baseN))
		}
		for _, r := range regionOrder {
			rb := regionBase[r]
			if tr.Sign() > 0 && rb != 0 && !reaches(regionVotes[r][p], rb, c.regionThreshold) {
				gap := new(big.Rat).Sub(tr, rat(regionVotes[r][p], rb))
				gap.Mul(gap, rat(rb, baseN))
				if best == nil || gap.Cmp(bestGap) > 0 {
					a := threshold(p, tr, c.base, false, r, true)
					best, bestGap = &a, gap
				}
			}
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	isCapped := map[string]bool{}
	for _, p := range capped {
		isCapped[p] = true
	}
	var pool []string
	for _, p := range c.options {
		_, ex := excluded[p]
		if (member(p, qualified) && !isCapped[p]) || (noThreshold && ex) {
			pool = append(pool, p)
		}
	}
	poolSeats := c.seats - c.seatCap*int64(len(capped))
	for _, a := range pool {
		if seats[a] < 1 {
			continue
		}
		for _, b := range pool {
			if b == a {
				continue
			}
			coeffs := map[string]*big.Rat{}
			switch c.method {
			case "hare":
				k := seats[b] - seats[a] + 1
				for _, p := range pool {
					if p != a && p != b {
						coeffs[p] = rat(k, 1)
					}
				}
				coeffs[a], coeffs[b] = rat(poolSeats+k, 1), rat(-poolSeats+k, 1)
			default:
				d := func(s int64) int64 {
					if c.method == "dhondt" {
						return s
					}
					return 2*s - 1
				}
				coeffs[a], coeffs[b] = rat(d(seats[b]+1), 1), rat(-d(seats[a]), 1)
			}
			out = append(out, newAssertion("seat:"+a+">"+b, coeffs, new(big.Rat), new(big.Rat), "", false))
		}
	}
	if len(capped) > 0 && c.method == "sainte-lague" {
		return nil, fmt.Errorf("a binding seat cap under Sainte-Laguë has no sound assertion")
	}
	for _, a := range capped {
		coeffs := map[string]*big.Rat{}
		for _, p := range pool {
			coeffs[p] = rat(-(c.seatCap + 1), 1)
		}
		coeffs[a] = rat(poolSeats+c.seatCap-c.seatCap-1, 1)
		out = append(out, newAssertion("cap:"+a, coeffs, new(big.Rat), new(big.Rat), "", false))
	}
	return out, nil
}

// measuredRisk: ALPHA (λ = 0.9) over the drawn stations' overstatements, in draw order.
func measuredRisk(a assertion, reported []batch, byID map[string]batch, draws []string, actual map[string]batch) (float64, error) {
	lower := a.lowerI()
	if lower <= 0 {
		return 0, fmt.Errorf("%s: no ballot can count against it", a.id)
	}
	var total, eMax int64
	for i, b := range reported {
		g := a.gi(b)
		total += g
		if e := g + lower*b.ballots(); i == 0 || e > eMax {
			eMax = e
		}
	}
	if eMax <= 0 {
		eMax = a.scale
	}
	p := int64(len(reported))
	x := func(over int64) float64 {
		v := float64((eMax-over)*p) / float64(2*(p*eMax-total))
		return math.Max(0, v)
	}
	const lambda = 0.9
	var sum, logT, maxLogT float64
	for j, s := range draws {
		xj := x(a.gi(byID[s]) - a.gi(actual[s]))
		n := int64(j + 1)
		mu := (float64(p)/2 - sum) / float64(p-n+1)
		if mu < 0 || (mu == 0 && xj > 0) {
			logT = math.Inf(1)
		} else if mu > 0 && !math.IsInf(logT, 0) {
			logT += math.Log(1 + lambda*(xj/mu-1))
		}
		sum += xj
		if n == p {
			if sum > float64(p)/2 {
				logT = math.Inf(1)
			} else {
				return 1, nil
			}
		}
		maxLogT = math.Max(maxLogT, logT)
	}
	return math.Min(1, math.Exp(-maxLogT)), nil
}
