package main

// The remote-voting proofs: the key ceremony, every ballot's range proofs and challenged
// openings, the aggregate of the counted ballots, the decryption shares and the totals.

import (
	"fmt"
	"math/big"
)

type remoteCrypto struct {
	baseHash string
	key      point
	quorum   int
	trustees int
	coeffs   map[int][]point // trustee index → C_{i,0..k-1}
	problems []string
}

func (rc *remoteCrypto) fail(index int, format string, args ...any) {
	rc.problems = append(rc.problems, fmt.Sprintf("log entry %d: ", index)+fmt.Sprintf(format, args...))
}

// ceremony: trustees 1..n, k commitments each with a Schnorr proof for
// ("trustee-coefficient", i, l); the joint key Σ_i C_{i,0} is the election key.
func newRemoteCrypto(baseHash string, cer indexed, par indexed) *remoteCrypto {
	rc := &remoteCrypto{baseHash: baseHash, coeffs: map[int][]point{}}
	c, _ := cer.entry["ceremony"].(map[string]any)
	n, _ := asInt(c["trustees"])
	k, _ := asInt(c["quorum"])
	rc.trustees, rc.quorum = int(n), int(k)
	if k < 1 || k > n {
		rc.fail(cer.index, "quorum %d of %d", k, n)
	}
	joint := identity
	commitments, _ := c["commitments"].([]any)
	for _, tv := range commitments {
		t, _ := tv.(map[string]any)
		i64, _ := asInt(t["index"])
		i := int(i64)
		cs, _ := t["commitments"].([]any)
		ps, _ := t["proofs"].([]any)
		if len(cs) != rc.quorum || len(ps) != rc.quorum {
			rc.fail(cer.index, "trustee %d: %d commitments and %d proofs, quorum %d", i, len(cs), len(ps), rc.quorum)
			continue
		}
		for l := range cs {
			x, err := decodePoint(cs[l], false)
			var p cv
			if err == nil {
				p, err = decodeCV(ps[l])
			}
			if err == nil && !schnorrOK(baseHash, x, p, "trustee-coefficient", i, l) {
				err = fmt.Errorf("Schnorr proof does not verify")
			}
			if err != nil {
				rc.fail(cer.index, "trustee %d coefficient %d: %v", i, l, err)
			}
			rc.coeffs[i] = append(rc.coeffs[i], x)
		}
		if len(rc.coeffs[i]) > 0 {
			joint = add(joint, rc.coeffs[i][0])
		}
	}
	for i := 1; i <= rc.trustees; i++ {
		if _, ok := rc.coeffs[i]; !ok || len(commitments) != rc.trustees {
			rc.fail(cer.index, "trustee indexes are not 1..%d", rc.trustees)
			break
		}
	}
	params, _ := par.entry["params"].(map[string]any)
	key, err := decodePoint(params["public_key"], false)
	if err != nil || !key.equal(joint) {
		rc.fail(par.index, "the election key is not Σ C_{i,0} of the ceremony")
	}
	rc.key = key
	return rc
}

type remoteContest struct {
	id       string
	options  int
	min, max int
}

// ballot: per contest, every selection's 0..1 proof and the min..max proof of their sum; a
// challenged ballot's opening reproduces every ciphertext. Returns the selections.
func (rc *remoteCrypto) ballot(index int, e map[string]any, body map[string]any, contests []remoteContest) [][]ciphertext {
	cred, _ := body["ballot_key"].(string) // the proofs' context: the one-time ballot key
	bcs, _ := body["contests"].([]any)
	if len(bcs) != len(contests) {
		rc.fail(index, "ballot seq %v: %d contests, the parameters %d", e["seq"], len(bcs), len(contests))
		return nil
	}
	var out [][]ciphertext
	for ci, want := range contests {
		c, _ := bcs[ci].(map[string]any)
		sels, _ := c["selections"].([]any)
		proofs, _ := c["proofs"].([]any)
		if c["id"] != want.id || len(sels) != want.options || len(proofs) != want.options {
			rc.fail(index, "ballot seq %v: contest %d is not %s with %d selections", e["seq"], ci, want.id, want.options)
			return nil
		}
		total := ciphertext{identity, identity}
		var cts []ciphertext
		for i := range sels {
			ct, err := decodeCiphertext(sels[i], false)
			if err == nil {
				err = rangeOK(rc.baseHash, rc.key, ct, proofs[i], 0, 1, "option", cred, want.id, i)
			}
			if err != nil {
				rc.fail(index, "ballot seq %v: contest %s option %d: %v", e["seq"], want.id, i, err)
				return nil
			}
			cts = append(cts, ct)
			total = ciphertext{add(total.pad, ct.pad), add(total.data, ct.data)}
		}
		if err := rangeOK(rc.baseHash, rc.key, total, c["sum_proof"], want.min, want.max, "contest-sum", cred, want.id); err != nil {
			rc.fail(index, "ballot seq %v: contest %s selection count: %v", e["seq"], want.id, err)
			return nil
		}
		out = append(out, cts)
	}
	if e["status"] == "challenged" {
		rc.opening(index, e, out)
	}
	return out
}

// opening: pad = r·G and data = m·G + r·K for every revealed choice m ∈ {0, 1} and nonce r.
func (rc *remoteCrypto) opening(index int, e map[string]any, cts [][]ciphertext) {
	o, _ := e["opening"].(map[string]any)
	choices, _ := o["choices"].([]any)
	nonces, _ := o["nonces"].([]any)
	if len(choices) != len(cts) || len(nonces) != len(cts) {
		rc.fail(index, "ballot seq %v: the opening does not cover every contest", e["seq"])
		return
	}
	for ci := range cts {
		ms, _ := choices[ci].([]any)
		rs, _ := nonces[ci].([]any)
		if len(ms) != len(cts[ci]) || len(rs) != len(cts[ci]) {
			rc.fail(index, "ballot seq %v: the opening of contest %d has the wrong number of options", e["seq"], ci)
			return
		}
		for i, ct := range cts[ci] {
			m, ok := asInt(ms[i])
			r, err := decodeScalar(rs[i])
			if !ok || err != nil || !baseMul(r).equal(ct.pad) || !add(baseMul(big.NewInt(m)), mul(rc.key, r)).equal(ct.data) {
				rc.fail(index, "ballot seq %v: opening of contest %d option %d ≠ its ciphertext", e["seq"], ci, i)
			}
		}
	}
}

// verificationKey: Y_j = Σ_i Σ_l j^l · C_{i,l}.
func (rc *remoteCrypto) verificationKey(j int) point {
	y := identity
	for _, cs := range rc.coeffs {
		power := big.NewInt(1)
		for _, c := range cs {
			y = add(y, mul(c, power))
			power = new(big.Int).Mul(power, big.NewInt(int64(j)))
		}
	}
	return y
}

// lagrange at 0 over the set: λ_j = Π_{m≠j} m / (m − j) mod n.
func lagrange(j int, set []int) *big.Int {
	num, den := big.NewInt(1), big.NewInt(1)
	for _, m := range set {
		if m == j {
			continue
		}
		num.Mul(num, big.NewInt(int64(m)))
		den.Mul(den, big.NewInt(int64(m-j)))
	}
	den.Mod(den, curve.N)
	return num.Mul(num, den.ModInverse(den, curve.N)).Mod(num, curve.N)
}

// tally: the aggregate is the sum of the counted ballots; each share D_j of each aggregate pad
// has a Chaum–Pedersen proof against Y_j; data − Σ λ_j·D_j = total·G with 0 ≤ total ≤ counted.
func (rc *remoteCrypto) tally(t indexed, shares []indexed, counted [][][]ciphertext, contests []remoteContest, nCounted int64) {
	aggDoc, _ := t.entry["aggregate"].(map[string]any)
	results, _ := t.entry["results"].(map[string]any)
	type share struct {
		j     int
		index int
		doc   map[string]any
	}
	var ss []share
	var set []int
	seen := map[int]bool{}
	for _, s := range shares {
		sh, _ := s.entry["share"].(map[string]any)
		j, _ := asInt(sh["trustee"])
		if seen[int(j)] || j < 1 || int(j) > rc.trustees {
			rc.fail(s.index, "decryption share from trustee %d: not a distinct member", j)
			return
		}
		seen[int(j)] = true
		docs, _ := sh["shares"].(map[string]any)
		ss = append(ss, share{int(j), s.index, docs})
		set = append(set, int(j))
	}
	if len(ss) < rc.quorum {
		rc.fail(t.index, "%d decryption shares, quorum %d", len(ss), rc.quorum)
		return
	}
	keys := map[int]point{}
	for _, s := range ss {
		keys[s.j] = rc.verificationKey(s.j)
	}
	for ci, c := range contests {
		published, _ := aggDoc[c.id].([]any)
		totals, _ := results[c.id].([]any)
		if len(published) != c.options || len(totals) != c.options {
			rc.fail(t.index, "contest %s: aggregate or results do not have %d options", c.id, c.options)
			continue
		}
		for i := 0; i < c.options; i++ {
			sum := ciphertext{identity, identity}
			for _, b := range counted {
				if b != nil {
					sum = ciphertext{add(sum.pad, b[ci][i].pad), add(sum.data, b[ci][i].data)}
				}
			}
			agg, err := decodeCiphertext(published[i], true)
			if err != nil || !agg.pad.equal(sum.pad) || !agg.data.equal(sum.data) {
				rc.fail(t.index, "contest %s option %d: aggregate is not the sum of the counted ballots", c.id, i)
				continue
			}
			combined := identity
			good := true
			for _, s := range ss {
				items, _ := s.doc[c.id].([]any)
				var d point
				var p cv
				var err error
				if i >= len(items) {
					err = fmt.Errorf("missing")
				} else {
					item, _ := items[i].(map[string]any)
					d, err = decodePoint(item["share"], true)
					if err == nil {
						p, err = decodeCV(item["proof"])
					}
				}
				if err == nil && !dleqOK(rc.baseHash, keys[s.j], agg.pad, d, p, "decryption-share", s.j, c.id, i) {
					err = fmt.Errorf("proof does not verify")
				}
				if err != nil {
					rc.fail(s.index, "trustee %d share for contest %s option %d: %v", s.j, c.id, i, err)
					good = false
					continue
				}
				combined = add(combined, mul(d, lagrange(s.j, set)))
			}
			total, ok := asInt(totals[i])
			if good && (!ok || total < 0 || total > nCounted || !sub(agg.data, combined).equal(baseMul(big.NewInt(total)))) {
				rc.fail(t.index, "contest %s option %d: published total %v is not what the shares decrypt to", c.id, i, totals[i])
			}
		}
	}
}
