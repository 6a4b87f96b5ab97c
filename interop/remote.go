package main

// Remote voting: the order of the entries, the credentials, the board (remote_v2.go), the re-vote
// policy, and the remote unit's protocol derived from the tally's totals; the proofs on secp256k1
// are in proofs_remote.go.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

type remoteResult struct {
	problems  []string
	protocols []*protocol
	summary   string
}

func checkRemote(st *replayState) remoteResult {
	var r remoteResult
	fail := func(index int, format string, args ...any) {
		r.problems = append(r.problems, fmt.Sprintf("log entry %d: ", index)+fmt.Sprintf(format, args...))
	}
	byKind := map[string][]indexed{}
	for _, x := range st.remote {
		k, _ := x.entry["kind"].(string)
		byKind[k] = append(byKind[k], x)
	}
	one := func(kind string) (indexed, bool) {
		if len(byKind[kind]) != 1 {
			r.problems = append(r.problems, fmt.Sprintf("remote voting: expected one %s entry, found %d", kind, len(byKind[kind])))
			return indexed{}, false
		}
		return byKind[kind][0], true
	}
	cer, ok1 := one("remote-ceremony")
	par, ok2 := one("remote-params")
	if !ok1 || !ok2 {
		return r
	}
	params, _ := par.entry["params"].(map[string]any)
	ceremony, _ := cer.entry["ceremony"].(map[string]any)
	if par.index < cer.index {
		fail(par.index, "remote parameters logged before the key ceremony")
	}
	if params["base_hash"] != st.defHash {
		fail(par.index, "remote parameters are not bound to this election's definition hash")
	}
	if ceremony["joint_key"] != params["public_key"] {
		fail(par.index, "the election key is not the ceremony's joint key")
	}
	var unit *station
	for _, s := range st.e.stations {
		if s.channel == "remote" {
			unit = s
			break
		}
	}
	var expectedContests []any
	if unit != nil {
		for _, c := range st.e.contests {
			if c.covers(unit.district) {
				opts := []any{}
				for _, o := range c.ballotOrder() {
					opts = append(opts, o)
				}
				expectedContests = append(expectedContests, map[string]any{"id": c.id, "options": opts,
					"min_selections": int64(1), "max_selections": int64(1)})
			}
		}
	}
	if unit == nil || par.entry["unit"] != unit.id {
		fail(par.index, "unit %v is not the definition's remote unit", par.entry["unit"])
	} else if !reflect.DeepEqual(normalise(params["contests"]), expectedContests) {
		fail(par.index, "the remote ballot's contests are not the remote unit's contests")
	}
	rc := newRemoteCrypto(st.defHash, cer, par)
	var contests []remoteContest
	pcs, _ := params["contests"].([]any)
	for _, x := range pcs {
		c, _ := x.(map[string]any)
		id, _ := c["id"].(string)
		opts, _ := c["options"].([]any)
		lo, _ := asInt(c["min_selections"])
		hi, _ := asInt(c["max_selections"])
		contests = append(contests, remoteContest{id, len(opts), int(lo), int(hi)})
	}
	closes := byKind["remote-close"]
	closedAt := -1
	if len(closes) > 0 {
		closedAt = closes[0].index
	}
	if len(closes) > 1 {
		fail(closes[1].index, "remote voting closed twice")
	}
	rc.dealings(byKind, cer)
	// The credential authority's signed list: only its keys are listed.
	var parts []any
	for _, x := range byKind["remote-credentials"] {
		if x.index < par.index || (closedAt >= 0 && x.index > closedAt) {
			fail(x.index, "credentials published outside the voting period")
		}
		parts = append(parts, x.entry["list"])
	}
	fingerprint := sha256.Sum256(mustCanonical(params))
	keys, listProblems := checkCredentialLists(parts, st.e.credentialAuthority, st.e.id, hex.EncodeToString(fingerprint[:]))
	for _, p := range listProblems {
		r.problems = append(r.problems, "remote voting: "+p)
	}
	valid := map[string]bool{}
	for _, k := range keys {
		valid[k] = true
	}
	listed := map[string]int{}
	for _, x := range byKind["remote-credentials"] {
		part, _ := x.entry["list"].(map[string]any)
		creds, _ := part["credentials"].([]any)
		for _, c := range creds {
			cs, _ := c.(string)
			cs = strings.ToLower(cs)
			if _, seen := listed[cs]; valid[cs] && !seen {
				listed[cs] = x.index
			}
		}
	}
	if st.abroadVoters >= 0 && int64(len(listed)) > st.abroadVoters {
		r.problems = append(r.problems, fmt.Sprintf("remote voting: %d credentials for %d voters abroad in the register commitment", len(listed), st.abroadVoters))
	}
	bySeq, casts, challenged := rc.board(byKind["remote-ballot"], listed, params["revote"], contests, closedAt)
	r.summary = fmt.Sprintf("%d credentials, %d ballots (%d challenged)", len(listed), len(byKind["remote-ballot"]), challenged)
	tallies := byKind["remote-tally"]
	if len(tallies) == 0 {
		return r
	}
	tally, ok := one("remote-tally")
	if !ok {
		return r
	}
	if closedAt < 0 || closedAt > tally.index {
		fail(tally.index, "tally without a close before it")
	} else {
		b, _ := asInt(closes[0].entry["ballots"])
		c, _ := asInt(closes[0].entry["credentials"])
		if b != int64(len(byKind["remote-ballot"])) || c != int64(len(listed)) {
			fail(closedAt, "close does not state the board's ballots and credentials")
		}
	}
	var trustees []any
	var ids []int
	for _, x := range byKind["remote-decryption"] {
		if x.index < tally.index {
			share, _ := x.entry["share"].(map[string]any)
			j, _ := asInt(share["trustee"])
			ids = append(ids, int(j))
		}
	}
	sort.Ints(ids)
	for _, j := range ids {
		trustees = append(trustees, int64(j))
	}
	if !reflect.DeepEqual(trustees, normalise(tally.entry["trustees"])) {
		fail(tally.index, "tally names other trustees than the decryption shares logged")
	}
	// The re-vote policy (rc.board): per credential, its last or first valid cast ballot by seq.
	chosen := map[string]int64{}
	for _, c := range casts {
		chosen[c.cred] = c.seq
	}
	counted := int64(len(chosen))
	if n, _ := asInt(tally.entry["counted"]); n != counted {
		fail(tally.index, "tally counts %v ballots; the re-vote policy gives %d", tally.entry["counted"], counted)
	}
	var counts [][][]ciphertext
	for _, seq := range chosen {
		counts = append(counts, bySeq[seq])
	}
	var shares []indexed
	for _, x := range byKind["remote-decryption"] {
		if x.index < tally.index {
			shares = append(shares, x)
		}
	}
	rc.tally(tally, shares, counts, contests, counted)
	r.problems = append(r.problems, rc.problems...)
	results, _ := tally.entry["results"].(map[string]any)
	protocols, _ := tally.entry["protocols"].([]any)
	if unit == nil {
		return r
	}
	credentials := int64(len(listed))
	for i, ec := range expectedContests {
		c := ec.(map[string]any)
		id := c["id"].(string)
		totals, _ := results[id].([]any)
		opts := c["options"].([]any)
		votes := map[string]any{}
		var valid int64
		for k, o := range opts {
			var n int64
			if k < len(totals) {
				n, _ = asInt(totals[k])
			}
			if n < 0 || n > counted {
				fail(tally.index, "total %d for %s/%v is outside 0..%d", n, id, o, counted)
			}
			votes[o.(string)] = n
			valid += n
		}
		if len(totals) != len(opts) {
			fail(tally.index, "results for %s have %d totals, the ballot %d options", id, len(totals), len(opts))
		}
		expected := map[string]any{"election": st.e.id, "station": unit.id, "contest": id, "kind": "official",
			"voters_on_list": credentials, "ballots_received": credentials, "issued_in_station": counted,
			"issued_outside": int64(0), "cancelled": credentials - counted, "found_mobile": int64(0),
			"found_stationary": counted, "invalid": int64(0), "valid": valid, "votes": votes}
		if i >= len(protocols) {
			continue
		}
		p, problems := readProtocol(protocols[i], nil)
		if p == nil {
			fail(tally.index, "remote unit protocol: %v", problems)
			continue
		}
		if more := append(standardRelations(p), belongs(p, st.e)...); len(more) > 0 {
			fail(tally.index, "remote unit protocol: %v", more)
		}
		if !reflect.DeepEqual(normalise(protocols[i]), normalise(expected)) {
			fail(tally.index, "remote unit protocol for %s is not the decrypted totals", id)
		}
		r.protocols = append(r.protocols, p)
	}
	if len(protocols) != len(expectedContests) {
		fail(tally.index, "%d remote unit protocol(s) expected", len(expectedContests))
	}
	r.summary += fmt.Sprintf(", %d counted, %d trustees decrypted", counted, len(ids))
	return r
}

// normalise turns JSON numbers into int64 (when whole) so values compare with reflect.DeepEqual.
func normalise(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			out[k] = normalise(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalise(x)
		}
		return out
	case int:
		return int64(t)
	default:
		if i, ok := asInt(v); ok {
			return i
		}
		return v
	}
}
