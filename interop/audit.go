package main

// Risk-limiting audits ("Audits" in docs/record-format.md), in log order: the seed (signed by an
// authority, its population the contest's stations counted at that point), the rounds (Rivest's
// consistent sampler redrawn from the seed), the boards' hand counts (two members of two parties),
// the decisions (signed, in order, after every drawn station's count) and an audit finished.
// The assertions and their risks are recomputed (audit_risk.go).

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var seedDigits = regexp.MustCompile(`^[0-9]{20,}$`)

type contestAudit struct {
	seed              string
	alpha             float64
	population, draws []string
	rounds, decided   int64
	decision          string
	counts            map[string]bool
	reported          []batch // the counted protocols at the seed, by station id
	byID, actual      map[string]batch
	polling           bool // a ballot-polling audit (audit_polling.go)
	poll              *pollState
}

type auditState struct {
	audits map[string]*contestAudit
	order  []string
}

// ticket: "0." then the decimal SHA-256 of x, zero-padded to 64 digits, reversed.
func ticket(x string) string {
	sum := sha256.Sum256([]byte(x))
	digits := new(big.Int).SetBytes(sum[:]).String()
	if len(digits) < 64 {
		digits = strings.Repeat("0", 64-len(digits)) + digits
	}
	b := []byte(digits)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return "0." + string(b)
}

// consistentDraw: the ids in increasing ticket order (ties by id), without replacement.
func consistentDraw(seed string, ids []string) []string {
	h := sha256.Sum256([]byte(seed))
	seedHash := hex.EncodeToString(h[:])
	tickets := map[string]string{}
	for _, id := range ids {
		tickets[id] = ticket(seedHash + id)
	}
	out := append([]string{}, ids...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := tickets[out[i]], tickets[out[j]]
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

func (st *replayState) auditEntry(index int, entry map[string]any) {
	for _, p := range st.auditCheck(entry) {
		st.fail(index, "%s", p)
	}
}

func (st *replayState) auditAuthority(entry map[string]any) []string {
	id, _ := entry["authority"].(string)
	a, ok := st.e.authorityOf[id]
	if !ok {
		return []string{fmt.Sprintf("%v names no authority of the definition (%v)", entry["kind"], entry["authority"])}
	}
	if verifySigned(a.key, "achyk/audit/v1", withoutKeys(entry, "signature"), entry["signature"]) != nil {
		return []string{fmt.Sprintf("%v: the signature of authority %s does not verify", entry["kind"], id)}
	}
	return nil
}

func (st *replayState) auditCheck(entry map[string]any) []string {
	kind := entry["kind"]
	contestID := fmt.Sprint(entry["contest"])
	if kind == "audit-seed" {
		c := st.e.contest(contestID)
		polled := c != nil && (c.kind == "presidential" || c.kind == "district")
		if c == nil || !(c.kind == "party-list" || polled) {
			return []string{fmt.Sprintf("audit seed for %v, not a party-list, presidential or district contest of the election", entry["contest"])}
		}
		method, wanted := "batch-comparison", "batch-comparison"
		if polled {
			wanted = "ballot-polling"
		}
		if m, ok := entry["method"]; ok {
			method, _ = m.(string)
		}
		if method != wanted {
			return []string{fmt.Sprintf("audit seed for %s: the method of a %s contest is %s", c.id, c.kind, wanted)}
		}
		if st.audit.audits[c.id] != nil {
			return []string{"a second audit seed for contest " + c.id}
		}
		problems := st.auditAuthority(entry)
		seed := fmt.Sprint(entry["seed"])
		if !seedDigits.MatchString(seed) {
			problems = append(problems, fmt.Sprintf("audit seed %q is not 20 or more dice digits", seed))
		}
		text, _ := entry["risk_limit"].(string)
		pct, err := strconv.ParseFloat(text, 64)
		if !decimalPattern.MatchString(text) || err != nil || pct <= 0 || pct >= 100 {
			return append(problems, fmt.Sprintf("risk limit %v is not a percentage in (0, 100)", entry["risk_limit"]))
		}
		counted := map[string]*protocol{}
		for k, h := range st.slots {
			if k.contest == c.id && (counted[k.station] == nil || k.kind == "official") {
				counted[k.station] = h.p
			}
		}
		var population []string
		for _, s := range st.e.stations {
			if c.covers(s.district) && s.channel != "remote" && counted[s.id] != nil {
				population = append(population, s.id)
			}
		}
		sort.Strings(population)
		if polled {
			return append(problems, st.pollingSeed(entry, c, seed, pct, population, counted, len(problems) == 0)...)
		}
		listed := []any{}
		for _, s := range population {
			listed = append(listed, s)
		}
		if logged, _ := entry["population"].([]any); !reflect.DeepEqual(logged, listed) && !(len(logged) == 0 && len(listed) == 0) {
			problems = append(problems, fmt.Sprintf("audit seed for %s: the population is not the %d stations with a counted protocol at this point, in id order", c.id, len(population)))
		}
		if len(problems) > 0 {
			return problems
		}
		a := &contestAudit{seed: seed, alpha: pct / 100, population: population, counts: map[string]bool{},
			byID: map[string]batch{}, actual: map[string]batch{}}
		for _, id := range population {
			s := st.e.byStation[id]
			region := ""
			if s.country == "" && !s.regionAbroad {
				region = s.region
			}
			b := batch{id, region, counted[id].votes, counted[id].line["invalid"]}
			a.reported = append(a.reported, b)
			a.byID[id] = b
		}
		st.audit.audits[c.id] = a
		st.audit.order = append(st.audit.order, c.id)
		return nil
	}
	a := st.audit.audits[contestID]
	if a == nil {
		return []string{fmt.Sprintf("%v for contest %q, which has no audit seed before it", kind, contestID)}
	}
	if a.polling && kind != "audit-decision" {
		return st.pollingEntry(entry, a, contestID)
	}
	switch kind {
	case "audit-round":
		number, _ := asInt(entry["round"])
		if number != a.rounds+1 {
			return []string{fmt.Sprintf("audit round %v of %s after round %d", entry["round"], contestID, a.rounds)}
		}
		if a.rounds > 0 && (a.decided != a.rounds || a.decision != "continue") {
			return []string{fmt.Sprintf("audit round %d of %s without a decision to continue round %d", number, contestID, a.rounds)}
		}
		size, ok := asInt(entry["size"])
		if !ok || size <= int64(len(a.draws)) || size > int64(len(a.population)) {
			return []string{fmt.Sprintf("audit round %d of %s: size %v is not between %d and %d", number, contestID, entry["size"], len(a.draws)+1, len(a.population))}
		}
		expected := consistentDraw(a.seed, a.population)[len(a.draws):size]
		want := []any{}
		for _, s := range expected {
			want = append(want, s)
		}
		if !reflect.DeepEqual(entry["sample"], want) {
			return []string{fmt.Sprintf("audit round %d of %s sampled other stations than the seed draws", number, contestID)}
		}
		a.draws = append(a.draws, expected...)
		a.rounds = number
	case "audit-count":
		station := fmt.Sprint(entry["station"])
		if !member(station, a.draws) {
			return []string{fmt.Sprintf("hand count of station %s, which was not drawn for %s", station, contestID)}
		}
		if a.counts[station] {
			return []string{fmt.Sprintf("a second hand count of station %s for %s", station, contestID)}
		}
		votes, _ := entry["votes"].(map[string]any)
		order := st.e.contest(contestID).ballotOrder()
		got := sortedKeys(votes)
		want := append([]string{}, order...)
		sort.Strings(want)
		if votes == nil || !reflect.DeepEqual(got, want) {
			return []string{fmt.Sprintf("hand count of station %s: votes must list exactly %v", station, order)}
		}
		values := []any{entry["invalid"]}
		for _, v := range votes {
			values = append(values, v)
		}
		for _, v := range values {
			if n, ok := asInt(v); !ok || n < 0 {
				return []string{fmt.Sprintf("hand count of station %s: counts must be whole numbers ≥ 0", station)}
			}
		}
		if problems := st.auditBoard(entry, station); len(problems) > 0 {
			return problems
		}
		a.counts[station] = true
		hand := map[string]int64{}
		for o, v := range votes {
			hand[o], _ = asInt(v)
		}
		invalid, _ := asInt(entry["invalid"])
		a.actual[station] = batch{station, a.byID[station].region, hand, invalid}
	case "audit-decision":
		number, _ := asInt(entry["round"])
		decision, _ := entry["decision"].(string)
		if number != a.rounds || a.decided == a.rounds {
			return []string{fmt.Sprintf("audit decision on round %v of %s; the open round is %d", entry["round"], contestID, a.rounds)}
		}
		if !member(decision, []string{"continue", "confirmed", "full-count"}) {
			return []string{fmt.Sprintf("audit decision %v is not one of continue, confirmed, full-count", entry["decision"])}
		}
		problems := st.auditAuthority(entry)
		if a.polling {
			return st.pollingDecision(entry, a, contestID, number, decision, problems)
		}
		for _, s := range a.draws {
			if !a.counts[s] {
				return append(problems, fmt.Sprintf("audit decision on round %d of %s before the hand count of %s", number, contestID, s))
			}
		}
		assertions, err := seatAssertions(st.e.contest(contestID), a.reported)
		if err != nil {
			return append(problems, fmt.Sprintf("audit of %s: %v", contestID, err))
		}
		risks, _ := entry["risks"].(map[string]any)
		if len(risks) != len(assertions) {
			return append(problems, fmt.Sprintf("audit decision on round %d of %s: risks must name every assertion (%d)", number, contestID, len(assertions)))
		}
		worst := 0.0
		for _, as := range assertions {
			risk, err := measuredRisk(as, a.reported, a.byID, a.draws, a.actual)
			if err != nil {
				return append(problems, fmt.Sprintf("audit of %s: %v", contestID, err))
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
	}
	return nil
}

func (st *replayState) auditBoard(entry map[string]any, station string) []string {
	return st.boardSigned(entry, "hand count of station "+station)
}

// boardSigned: two distinct board members of two parties signed the entry; what names it.
func (st *replayState) boardSigned(entry map[string]any, what string) []string {
	if len(st.e.boards) == 0 {
		return []string{"hand count entered, but the definition names no audit board"}
	}
	signatures, _ := entry["signatures"].([]any)
	if len(signatures) < 2 {
		return []string{fmt.Sprintf("%s: needs the signatures of two board members", what)}
	}
	doc := withoutKeys(entry, "signatures")
	parties, seen := map[string]bool{}, map[string]bool{}
	for _, sv := range signatures {
		s, _ := sv.(map[string]any)
		id := fmt.Sprint(s["member"])
		m, ok := st.e.boards[id]
		if !ok || seen[id] {
			return []string{fmt.Sprintf("%s: signer %v is not a distinct board member", what, s["member"])}
		}
		if verifySigned(m[1], "achyk/audit-count/v1", doc, s["signature"]) != nil {
			return []string{fmt.Sprintf("%s: the signature of %s does not verify", what, id)}
		}
		seen[id], parties[m[0]] = true, true
	}
	if len(parties) < 2 {
		return []string{fmt.Sprintf("%s: the board's members are all from one party", what)}
	}
	return nil
}

// auditFinish: every seeded contest's last round decided confirmed or full-count.
func (st *replayState) auditFinish() {
	for _, id := range st.audit.order {
		a := st.audit.audits[id]
		if a.decided != a.rounds || (a.decision != "confirmed" && a.decision != "full-count") {
			st.problems = append(st.problems, fmt.Sprintf("audit of %s not finished after round %d", id, a.rounds))
		}
	}
}
