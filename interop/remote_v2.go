package main

// Remote voting as the trustees, the credential authority and the voting devices make it
// ("Remote voting" in docs/record-format.md): trustee announcements and dealings behind the
// ceremony, complaints' verdicts, the credential authority's signed list, and the board — seals,
// counters, audits and unique tracking codes.

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"sort"
)

// ---- Ed25519 points: a credential key must be a canonical point of the prime-order subgroup.

var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	edD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, edP)
	}()
	edL, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
)

type edPoint struct{ x, y *big.Int }

func edAdd(a, b edPoint) edPoint {
	p := edP
	x1y2 := new(big.Int).Mul(a.x, b.y)
	y1x2 := new(big.Int).Mul(a.y, b.x)
	y1y2 := new(big.Int).Mul(a.y, b.y)
	x1x2 := new(big.Int).Mul(a.x, b.x)
	t := new(big.Int).Mul(edD, new(big.Int).Mod(new(big.Int).Mul(x1x2, y1y2), p))
	t.Mod(t, p)
	den1 := new(big.Int).ModInverse(new(big.Int).Mod(new(big.Int).Add(big.NewInt(1), t), p), p)
	den2 := new(big.Int).ModInverse(new(big.Int).Mod(new(big.Int).Sub(big.NewInt(1), t), p), p)
	x := new(big.Int).Mul(new(big.Int).Add(x1y2, y1x2), den1)
	y := new(big.Int).Mul(new(big.Int).Add(y1y2, x1x2), den2)
	return edPoint{x.Mod(x, p), y.Mod(y, p)}
}

func edMul(a edPoint, k *big.Int) edPoint {
	r := edPoint{big.NewInt(0), big.NewInt(1)}
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = edAdd(r, r)
		if k.Bit(i) == 1 {
			r = edAdd(r, a)
		}
	}
	return r
}

func edIdentity(a edPoint) bool { return a.x.Sign() == 0 && a.y.Cmp(big.NewInt(1)) == 0 }

// credentialKey: the lowercase hex of a valid Ed25519 key — canonical, on the curve, not of small
// order and in the prime-order subgroup (libsodium's crypto_core_ed25519_is_valid_point).
func credentialKey(v any) (string, error) {
	s, _ := v.(string)
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return "", fmt.Errorf("a credential key is 64 hex digits")
	}
	bad := fmt.Errorf("not a valid Ed25519 key (off the curve, non-canonical or small order)")
	le := make([]byte, 32)
	for i := range raw {
		le[31-i] = raw[i]
	}
	sign := le[0] >> 7
	le[0] &= 0x7f
	y := new(big.Int).SetBytes(le)
	if y.Cmp(edP) >= 0 {
		return "", bad
	}
	y2 := new(big.Int).Mod(new(big.Int).Mul(y, y), edP)
	num := new(big.Int).Mod(new(big.Int).Sub(y2, big.NewInt(1)), edP)
	den := new(big.Int).Mod(new(big.Int).Add(new(big.Int).Mul(edD, y2), big.NewInt(1)), edP)
	x2 := new(big.Int).Mod(new(big.Int).Mul(num, new(big.Int).ModInverse(den, edP)), edP)
	x := new(big.Int).ModSqrt(x2, edP)
	if x == nil {
		return "", bad
	}
	if x.Bit(0) != uint(sign) {
		x.Sub(edP, x).Mod(x, edP)
	}
	pt := edPoint{x, y}
	if edIdentity(edMul(pt, big.NewInt(8))) || !edIdentity(edMul(pt, edL)) {
		return "", bad
	}
	return hex.EncodeToString(raw), nil
}

// ---- The credential authority's list.

func checkCredentialLists(parts []any, authority, election, fingerprint string) ([]string, []string) {
	var problems, keys []string
	if authority == "" {
		return nil, []string{"the definition names no credential authority: the server could have made every credential"}
	}
	seen := map[string]bool{}
	expect := int64(1)
	for i, pv := range parts {
		where := fmt.Sprintf("credential list part %d", i+1)
		part, _ := pv.(map[string]any)
		if part == nil || verifySignedRaw(authority, "achyk/credential-list/v1", withoutKeys(part, "signature"), part["signature"]) != nil {
			problems = append(problems, where+": not signed by the credential authority of the definition")
			continue
		}
		if part["election"] != election || part["fingerprint"] != fingerprint {
			problems = append(problems, where+": made for another election or other parameters")
		}
		n, nOK := asInt(part["part"])
		of, ofOK := asInt(part["parts"])
		if !nOK || n != expect || !ofOK || n > of {
			problems = append(problems, fmt.Sprintf("%s: numbered %v of %v, expected part %d", where, part["part"], part["parts"], expect))
		}
		if !nOK || !ofOK || n >= of {
			expect = 1
		} else {
			expect = n + 1
		}
		creds, _ := part["credentials"].([]any)
		for _, k := range creds {
			c, err := credentialKey(k)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: credential %.12v…: %v", where, k, err))
				continue
			}
			if seen[c] {
				problems = append(problems, fmt.Sprintf("%s: credential %.12s… listed twice", where, c))
				continue
			}
			seen[c] = true
			keys = append(keys, c)
		}
	}
	if expect != 1 {
		problems = append(problems, fmt.Sprintf("credential list: part %d is missing", expect))
	}
	return keys, problems
}

// verifySignedRaw: an Ed25519 signature by a base64 key over P || 0x0A || canonical(document).
func verifySignedRaw(keyB64, purpose string, document any, signature any) error {
	return verifySigned(keyB64, purpose, document, signature)
}

// ---- The ceremony's dealings.

func (rc *remoteCrypto) dealings(byKind map[string][]indexed, cer indexed) {
	var head *indexed
	for i := range byKind["remote-trustees"] {
		if x := byKind["remote-trustees"][i]; x.index < cer.index {
			head = &byKind["remote-trustees"][i]
		}
	}
	if head == nil {
		rc.fail(cer.index, "no trustee announcements before the ceremony: the key was not made by the trustees on their own machines")
		return
	}
	aux := map[int]point{}
	trustees, _ := head.entry["trustees"].([]any)
	for _, tv := range trustees {
		t, _ := tv.(map[string]any)
		i, ok := asInt(t["index"])
		name, _ := t["name"].(string)
		key, err := decodePoint(t["aux_key"], false)
		var p cv
		if err == nil {
			p, err = decodeCV(t["proof"])
		}
		if err == nil && (!ok || i < 1) {
			err = fmt.Errorf("trustee index must be a positive integer")
		}
		if err == nil && !schnorrOK(rc.baseHash, key, p, "trustee-aux-key", int(i), name) {
			err = fmt.Errorf("Schnorr proof does not verify")
		}
		if err != nil {
			rc.fail(head.index, "trustee %v announcement: %v", t["index"], err)
		}
		aux[int(i)] = key
	}
	quorum, _ := asInt(head.entry["quorum"])
	type dealt struct {
		commitment any
		shares     map[int]map[string]any
	}
	dealings := map[int]dealt{}
	for _, x := range byKind["remote-dealing"] {
		if x.index <= head.index || x.index >= cer.index {
			continue
		}
		d, _ := x.entry["dealing"].(map[string]any)
		dealer, _ := asInt(d["dealer"])
		commitment, _ := d["commitment"].(map[string]any)
		ci, _ := asInt(commitment["index"])
		key, known := aux[int(dealer)]
		if !known || ci != dealer {
			rc.fail(x.index, "dealing: dealing from unknown trustee %v", d["dealer"])
			continue
		}
		body := withoutKeys(d, "signature")
		digest := sha256.Sum256(mustCanonical(body))
		p, err := decodeCV(d["signature"])
		if err != nil || !schnorrOK(rc.baseHash, key, p, "trustee-dealing", digest[:]) {
			rc.fail(x.index, "dealing: Schnorr proof does not verify")
			continue
		}
		cs, _ := commitment["commitments"].([]any)
		ps, _ := commitment["proofs"].([]any)
		if int64(len(cs)) != quorum || len(ps) != len(cs) {
			rc.fail(x.index, "dealing: %d commitments, quorum %d", len(cs), quorum)
			continue
		}
		bad := false
		for l := range cs {
			c, err := decodePoint(cs[l], false)
			var proof cv
			if err == nil {
				proof, err = decodeCV(ps[l])
			}
			if err != nil || !schnorrOK(rc.baseHash, c, proof, "trustee-coefficient", int(dealer), l) {
				rc.fail(x.index, "dealing: coefficient %d: Schnorr proof does not verify", l)
				bad = true
			}
		}
		shares := map[int]map[string]any{}
		var recipients []int
		list, _ := d["shares"].([]any)
		for _, sv := range list {
			s, _ := sv.(map[string]any)
			r, _ := asInt(s["recipient"])
			shares[int(r)] = s
			recipients = append(recipients, int(r))
		}
		var want []int
		for i := range aux {
			want = append(want, i)
		}
		sort.Ints(recipients)
		sort.Ints(want)
		if !reflect.DeepEqual(recipients, want) {
			rc.fail(x.index, "dealing: dealing %d: not one share per trustee", dealer)
			bad = true
		}
		if !bad {
			dealings[int(dealer)] = dealt{commitment, shares}
		}
	}
	var mine []any
	var order []int
	for i := range dealings {
		order = append(order, i)
	}
	sort.Ints(order)
	for _, i := range order {
		mine = append(mine, normalise(dealings[i].commitment))
	}
	c, _ := cer.entry["ceremony"].(map[string]any)
	theirs, _ := normalise(c["commitments"]).([]any)
	if !reflect.DeepEqual(mine, theirs) || quorum != int64(rc.quorum) {
		rc.fail(cer.index, "the ceremony's commitments are not the trustees' dealings")
	}
	for _, x := range byKind["remote-complaint"] {
		if x.index <= head.index || x.index >= cer.index {
			continue
		}
		cmp, _ := x.entry["complaint"].(map[string]any)
		dealer, _ := asInt(cmp["dealer"])
		recipient, _ := asInt(cmp["recipient"])
		d, dealtOK := dealings[int(dealer)]
		a, isTrustee := aux[int(recipient)]
		if !dealtOK || !isTrustee {
			continue
		}
		verdict := rc.judge(cmp, int(dealer), int(recipient), a, d.commitment, d.shares[int(recipient)])
		if verdict != x.entry["verdict"] {
			rc.fail(x.index, "complaint verdict is %s, logged %v", verdict, x.entry["verdict"])
		}
		if verdict == "dealer" {
			rc.fail(x.index, "upheld complaint against trustee %d, yet the ceremony went on", dealer)
		}
	}
}

// judge: who is at fault, from public material alone: "dealer" or "complainer".
func (rc *remoteCrypto) judge(cmp map[string]any, dealer, recipient int, aux point, commitment any, share map[string]any) string {
	if share == nil {
		return "dealer"
	}
	eph, err1 := decodePoint(share["ephemeral"], false)
	dh, err2 := decodePoint(cmp["dh"], false)
	p, err3 := decodeCV(cmp["proof"])
	if err1 != nil || err2 != nil || err3 != nil || !dleqOK(rc.baseHash, aux, eph, dh, p, "share-complaint", dealer, recipient) {
		return "complainer"
	}
	ct, err := fixedHex(share["ciphertext"], 32)
	if err != nil {
		return "dealer"
	}
	h := sha256.New()
	h.Write([]byte("achyk/share-pad/v1"))
	for _, part := range [][]byte{[]byte(rc.baseHash), []byte(fmt.Sprint(dealer)), []byte(fmt.Sprint(recipient)), eph.encode(), dh.encode()} {
		h.Write(lp(part))
	}
	pad := h.Sum(nil)
	for i := range ct {
		ct[i] ^= pad[i]
	}
	s := new(big.Int).SetBytes(ct)
	if s.Cmp(curve.N) >= 0 {
		return "dealer"
	}
	// s·G must be Σ_l recipient^l · C_l of the dealer's commitments.
	c, _ := commitment.(map[string]any)
	cs, _ := c["commitments"].([]any)
	sum := identity
	power := big.NewInt(1)
	for _, cv := range cs {
		x, err := decodePoint(cv, false)
		if err != nil {
			return "dealer"
		}
		sum = add(sum, mul(x, power))
		power = new(big.Int).Mul(power, big.NewInt(int64(recipient)))
	}
	if !baseMul(s).equal(sum) {
		return "dealer"
	}
	return "complainer"
}

// ---- The board: order, tracking codes, credentials, counters, seals.

type castBallot struct {
	seq  int64
	cred string
}

// seal: Ed25519 over "achyk/ballot-seal/v2\n" ‖ canonical {counter, credential, election, intent,
// tracking_code}, by the credential (cast) or the one-time ballot key (audit).
func sealOK(baseHash, code, intent, credential string, counter int64, signer string, signature any) bool {
	key, err := hex.DecodeString(signer)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return false
	}
	if _, err := credentialKey(signer); err != nil {
		return false
	}
	sigText, _ := signature.(string)
	sig, err := base64.StdEncoding.Strict().DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	statement := map[string]any{"counter": counter, "credential": credential, "election": baseHash,
		"intent": intent, "tracking_code": code}
	msg := append([]byte("achyk/ballot-seal/v2\n"), mustCanonical(statement)...)
	return ed25519.Verify(ed25519.PublicKey(key), msg, sig)
}

// board: the checks of every ballot entry in order; returns the counted ballots by the re-vote
// policy and how many were audited.
func (rc *remoteCrypto) board(ballots []indexed, listed map[string]int, revote any, contests []remoteContest, closedAt int) (map[int64][][]ciphertext, []castBallot, int) {
	bySeq := map[int64][][]ciphertext{}
	seen := map[string]int64{}
	last := map[string]int64{}
	var casts []castBallot
	audited := 0
	for n, x := range ballots {
		e := x.entry
		fail := func(format string, args ...any) {
			rc.fail(x.index, "remote ballot seq %v: %s", e["seq"], fmt.Sprintf(format, args...))
		}
		if closedAt >= 0 && x.index > closedAt {
			rc.fail(x.index, "ballot cast after the close")
		}
		seq, ok := asInt(e["seq"])
		if _, isText := e["seq"].(string); !ok || isText || seq != int64(n) {
			fail("seq %v is not its place on the board (%d)", e["seq"], n)
			continue
		}
		code, _ := e["tracking_code"].(string)
		if _, err := fixedHex(code, 32); err != nil {
			fail("tracking code is not 64 lowercase hex digits")
			continue
		}
		if at, dup := seen[code]; dup {
			fail("tracking code already on the board at seq %d: the same ballot appended twice", at)
			continue
		}
		seen[code] = seq
		body, _ := e["ballot"].(map[string]any)
		sum := sha256.Sum256(mustCanonical(body))
		if code != hex.EncodeToString(sum[:]) {
			fail("tracking code is not the hash of the ballot")
		}
		if body["election"] != rc.baseHash {
			fail("the body does not name this election")
		}
		ballotKey, _ := body["ballot_key"].(string)
		switch e["status"] {
		case "challenged":
			audited++
			_, hasCred := e["credential"]
			_, hasCounter := e["counter"]
			if hasCred || hasCounter {
				fail("an audited ballot carries a credential or counter")
				continue
			}
			if !sealOK(rc.baseHash, code, "audit", "", 0, ballotKey, e["signature"]) {
				fail("the seal is not signed by the one-time ballot key")
			}
			rc.ballot(x.index, e, body, contests)
		case "cast":
			cred, err := credentialKey(e["credential"])
			if err != nil {
				fail("credential: %v", err)
				continue
			}
			at, isListed := listed[cred]
			if !isListed {
				fail("credential is not on the public list")
				continue
			}
			if at > x.index {
				rc.fail(x.index, "ballot uses a credential published only later")
			}
			counter, isInt := asInt(e["counter"])
			if !isInt {
				fail("counter %v is not an integer", e["counter"])
				continue
			}
			if counter <= last[cred] {
				fail("counter %d does not increase for its credential (last %d): a replayed ballot", counter, last[cred])
				continue
			}
			last[cred] = counter
			if !sealOK(rc.baseHash, code, "cast", cred, counter, cred, e["signature"]) {
				fail("the seal is not signed by the credential")
			}
			bySeq[seq] = rc.ballot(x.index, e, body, contests)
			casts = append(casts, castBallot{seq, cred})
		default:
			fail("unknown status %v", e["status"])
		}
	}
	chosen := map[string]int64{}
	for _, c := range casts {
		if _, have := chosen[c.cred]; revote == "last" || !have {
			chosen[c.cred] = c.seq
		}
	}
	var counted []castBallot
	for cred, seq := range chosen {
		counted = append(counted, castBallot{seq, cred})
	}
	return bySeq, counted, audited
}
