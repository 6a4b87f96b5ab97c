package main

// Ballot-polling (BRAVO) audits of presidential and district contests ("Ballot polling" under
// Audits in docs/record-format.md): the seed's manifest, ballots drawn with replacement by the
// consistent sampler, the boards' recorded votes, and each assertion's BRAVO risk.

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

const ballotsPerEntry = 1000
const invalidVote = "(invalid)"

type pollState struct {
	manifest    [][2]any // station, ballots
	ids         []string
	votes       map[string]int64 // reported totals, against-all included
	ballots     int64
	polled      int
	seen        map[string]int64
	ballotVotes map[string]string
}

type pollAssertion struct {
	id, winner, loser string // loser "": every other ballot (the majority assertion)
}

func (st *replayState) pollingSeed(entry map[string]any, c *contest, seed string, pct float64, population []string, counted map[string]*protocol, open bool) []string {
	p := &pollState{votes: map[string]int64{}, seen: map[string]int64{}, ballotVotes: map[string]string{}}
	for _, o := range c.ballotOrder() {
		p.votes[o] = 0
	}
	logged, _ := entry["manifest"].([]any)
	ok := len(logged) == len(population)
	for i, id := range population {
		pr := counted[id]
		n := pr.line["invalid"]
		for o, v := range pr.votes {
			n += v
			p.votes[o] += v
		}
		p.ballots += n
		p.manifest = append(p.manifest, [2]any{id, n})
		for k := int64(1); k <= n; k++ {
			p.ids = append(p.ids, id+"#"+strconv.FormatInt(k, 10))
		}
		if ok {
			pair, _ := logged[i].([]any)
			got, isInt := int64(-1), false
			if len(pair) == 2 {
				got, isInt = asInt(pair[1])
			}
			ok = len(pair) == 2 && pair[0] == id && isInt && got == n
		}
	}
	if !ok {
		return []string{fmt.Sprintf("audit seed for %s: the manifest is not the %d stations with a counted protocol at this point and their ballots, in id order", c.id, len(population))}
	}
	if _, err := pollAssertions(c, p); err != nil {
		return []string{fmt.Sprintf("audit-seed: malformed (%v)", err)}
	}
	if !open {
		return nil // the seed's other problems are reported; no audit is opened
	}
	st.audit.audits[c.id] = &contestAudit{seed: seed, alpha: pct / 100, polling: true, poll: p, counts: map[string]bool{}}
	st.audit.order = append(st.audit.order, c.id)
	return nil
}

func pollAssertions(c *contest, p *pollState) ([]pollAssertion, error) {
	ranked := append([]string{}, c.options...)
	sort.SliceStable(ranked, func(i, j int) bool {
		if p.votes[ranked[i]] != p.votes[ranked[j]] {
			return p.votes[ranked[i]] > p.votes[ranked[j]]
		}
		return ranked[i] < ranked[j]
	})
	majority := c.kind == "presidential" && len(ranked) > 0 && 2*p.votes[ranked[0]] > p.ballots
	seats := int(c.seats)
	if c.kind == "presidential" {
		seats = 2
		if majority {
			seats = 1
		}
	}
	if seats > len(ranked) {
		seats = len(ranked)
	}
	winners := ranked[:seats]
	var others []string
	for _, o := range c.ballotOrder() {
		if !member(o, winners) {
			others = append(others, o)
		}
	}
	if len(others) == 0 {
		return nil, fmt.Errorf("every option wins: nothing to audit")
	}
	var out []pollAssertion
	for _, w := range winners {
		for _, o := range others {
			if p.votes[w] <= p.votes[o] {
				return nil, fmt.Errorf("a reported winner does not lead every other option")
			}
			out = append(out, pollAssertion{w + ">" + o, w, o})
		}
	}
	if majority {
		out = append(out, pollAssertion{"majority:" + ranked[0], ranked[0], ""})
	}
	return out, nil
}

// bravoRisk: min(1, 1/T) with T = (2s)^seenW · (2 − 2s)^seenL, s = vW/(vW + vL), in logarithms.
func bravoRisk(vW, vL, seenW, seenL int64) float64 {
	s := float64(vW) / float64(vW+vL)
	logT := float64(seenW) * math.Log(2*s)
	if seenL > 0 {
		if s >= 1 {
			return 1
		}
		logT += float64(seenL) * math.Log(2-2*s)
	}
	if logT <= 0 {
		return 1
	}
	return math.Exp(-logT)
}

// ticket heap for the consistent sampler with replacement
type tkt struct{ number, id string }
type tktHeap []tkt

func (h tktHeap) Len() int { return len(h) }
func (h tktHeap) Less(i, j int) bool {
	if h[i].number != h[j].number {
		return h[i].number < h[j].number
	}
	return h[i].id < h[j].id
}
func (h tktHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *tktHeap) Push(x any)   { *h = append(*h, x.(tkt)) }
func (h *tktHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// nextTicket: x0 = x‖"0"; p = the first position after "0." not a '9'; y = x0[:p] ‖ U(x‖":"‖i)[2:]
// for i = 1, 2, … until y > x0.
func nextTicket(x string) string {
	x0 := x + "0"
	p := 2
	for p < len(x0) && x0[p] == '9' {
		p++
	}
	for i := 1; ; i++ {
		y := x0[:p] + ticket(x + ":" + strconv.Itoa(i))[2:]
		if y > x0 {
			return y
		}
	}
}

// drawWithReplacement: the first n ids the consistent sampler draws with replacement.
func drawWithReplacement(seed string, ids []string, n int) []string {
	h := sha256.Sum256([]byte(seed))
	seedHash := hex.EncodeToString(h[:])
	tickets := make(tktHeap, 0, len(ids))
	for _, id := range ids {
		tickets = append(tickets, tkt{ticket(seedHash + id), id})
	}
	heap.Init(&tickets)
	out := make([]string, 0, n)
	for len(out) < n && tickets.Len() > 0 {
		t := heap.Pop(&tickets).(tkt)
		out = append(out, t.id)
		heap.Push(&tickets, tkt{nextTicket(t.number), t.id})
	}
	return out
}

func sampleHash(draws []string) string {
	list := make([]any, len(draws))
	for i, d := range draws {
		list[i] = d
	}
	sum := sha256.Sum256(mustCanonical(list))
	return hex.EncodeToString(sum[:])
}

func (st *replayState) pollingEntry(entry map[string]any, a *contestAudit, contestID string) []string {
	p := a.poll
	switch entry["kind"] {
	case "audit-round":
		number, _ := asInt(entry["round"])
		if number != a.rounds+1 {
			return []string{fmt.Sprintf("audit round %v of %s after round %d", entry["round"], contestID, a.rounds)}
		}
		if a.rounds > 0 && (a.decided != a.rounds || a.decision != "continue") {
			return []string{fmt.Sprintf("audit round %d of %s without a decision to continue round %d", number, contestID, a.rounds)}
		}
		size, ok := asInt(entry["size"])
		if !ok || size <= int64(len(a.draws)) {
			return []string{fmt.Sprintf("audit round %d of %s: size %v is not more than %d", number, contestID, entry["size"], len(a.draws))}
		}
		expected := drawWithReplacement(a.seed, p.ids, int(size))[len(a.draws):]
		if entry["sample_sha256"] != sampleHash(expected) {
			return []string{fmt.Sprintf("audit round %d of %s sampled other ballots than the seed draws", number, contestID)}
		}
		a.draws = append(a.draws, expected...)
		a.rounds = number
	case "audit-ballots":
		number, _ := asInt(entry["round"])
		if number != a.rounds || p.polled == len(a.draws) {
			return []string{fmt.Sprintf("ballots of round %v of %s: no open round without them", entry["round"], contestID)}
		}
		sample, _ := entry["sample"].([]any)
		votes, _ := entry["votes"].([]any)
		if len(sample) == 0 || len(sample) > ballotsPerEntry || len(votes) != len(sample) || len(sample) > len(a.draws)-p.polled {
			return []string{fmt.Sprintf("ballots of round %d of %s: 1 to %d draws, one vote each", number, contestID, ballotsPerEntry)}
		}
		drawn := a.draws[p.polled : p.polled+len(sample)]
		for i, d := range drawn {
			if sample[i] != d {
				return []string{fmt.Sprintf("ballots of round %d of %s: not the next draws of the seed (draw %d on)", number, contestID, p.polled+1)}
			}
		}
		choices := append(st.e.contest(contestID).ballotOrder(), invalidVote)
		for i, d := range drawn {
			v, _ := votes[i].(string)
			if !member(v, choices) {
				return []string{fmt.Sprintf("ballot %s: %v is not one of %s", d, votes[i], strings.Join(choices, ", "))}
			}
			if before, ok := p.ballotVotes[d]; ok && before != v {
				return []string{fmt.Sprintf("ballot %s drawn again shows %q, recorded before as %q", d, v, before)}
			}
		}
		if problems := st.boardSigned(entry, fmt.Sprintf("ballots of round %d", number)); len(problems) > 0 {
			return problems
		}
		for i, d := range drawn {
			v := votes[i].(string)
			p.ballotVotes[d] = v
			p.seen[v]++
		}
		p.polled += len(drawn)
	case "audit-count":
		return []string{fmt.Sprintf("hand count of station %v in %s's ballot-polling audit", entry["station"], contestID)}
	}
	return nil
}

func (st *replayState) pollingDecision(entry map[string]any, a *contestAudit, contestID string, number int64, decision string, problems []string) []string {
	p := a.poll
	if p.polled != len(a.draws) {
		return append(problems, fmt.Sprintf("audit decision on round %d of %s before the drawn ballots' votes", number, contestID))
	}
	asserted, err := pollAssertions(st.e.contest(contestID), p)
	if err != nil {
		return append(problems, fmt.Sprintf("audit of %s: %v", contestID, err))
	}
	risks, _ := entry["risks"].(map[string]any)
	if len(risks) != len(asserted) {
		return append(problems, fmt.Sprintf("audit decision on round %d of %s: risks must name every assertion (%d)", number, contestID, len(asserted)))
	}
	worst := 0.0
	draws := int64(len(a.draws))
	for _, as := range asserted {
		vW, seenW := p.votes[as.winner], p.seen[as.winner]
		var risk float64
		if as.loser == "" {
			risk = bravoRisk(vW, p.ballots-vW, seenW, draws-seenW)
		} else {
			risk = bravoRisk(vW, p.votes[as.loser], seenW, p.seen[as.loser])
		}
		text, isText := risks[as.id].(string)
		logged, perr := strconv.ParseFloat(text, 64)
		if !isText || perr != nil || math.Abs(logged-risk) > 2e-6 {
			problems = append(problems, fmt.Sprintf("audit round %d of %s: assertion %s risk is %.6f, recorded %v", number, contestID, as.id, risk, risks[as.id]))
		}
		worst = math.Max(worst, risk)
	}
	if decision == "confirmed" && worst > a.alpha {
		problems = append(problems, fmt.Sprintf("audit of %s stopped at round %d before the risk limit was met: risk %.6f > %g", contestID, number, worst, a.alpha))
	}
	if len(problems) > 0 {
		return problems
	}
	a.decided, a.decision = a.rounds, decision
	return nil
}
