package main

// A station protocol: its shape, its control relations, its place in the election, and the
// device or authority signature over its canonical bytes.

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

var lineNames = []string{"voters_on_list", "ballots_received", "issued_in_station", "issued_outside",
	"cancelled", "found_mobile", "found_stationary", "invalid", "valid"}

type protocol struct {
	election, station, contest, kind string
	line                             map[string]int64
	votes                            map[string]int64
}

func (p *protocol) issued() int64 { return p.line["issued_in_station"] + p.line["issued_outside"] }
func (p *protocol) found() int64  { return p.line["found_mobile"] + p.line["found_stationary"] }

func readProtocol(v any) (*protocol, []string) {
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, []string{"protocol: required (an object)"}
	}
	var problems []string
	text := func(key string) string {
		s, ok := doc[key].(string)
		if !ok || s == "" {
			problems = append(problems, key+": required (a non-empty string)")
		}
		return s
	}
	p := &protocol{election: text("election"), station: text("station"), contest: text("contest"),
		kind: text("kind"), line: map[string]int64{}, votes: map[string]int64{}}
	if p.kind != "" && p.kind != "preliminary" && p.kind != "official" {
		problems = append(problems, fmt.Sprintf("kind: %q is not preliminary or official", p.kind))
	}
	known := map[string]bool{"election": true, "station": true, "contest": true, "kind": true, "votes": true}
	for _, name := range lineNames {
		known[name] = true
		n, ok := asInt(doc[name])
		if !ok {
			problems = append(problems, name+": required (a whole number)")
		}
		p.line[name] = n
	}
	votes, ok := doc["votes"].(map[string]any)
	if !ok {
		problems = append(problems, "votes: required (an object of option → votes)")
	}
	for option, v := range votes {
		n, ok := asInt(v)
		if !ok {
			problems = append(problems, "votes."+option+": required (a whole number)")
		}
		p.votes[option] = n
	}
	for k := range doc {
		if !known[k] {
			problems = append(problems, k+": unknown field")
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return nil, problems
	}
	return p, nil
}

// relations: every control relation of the protocol form.
func relations(p *protocol) []string {
	var problems []string
	for _, name := range lineNames {
		if p.line[name] < 0 {
			problems = append(problems, fmt.Sprintf("%s: %d is negative", name, p.line[name]))
		}
	}
	var total int64
	for option, n := range p.votes {
		if n < 0 {
			problems = append(problems, fmt.Sprintf("votes for %s: %d is negative", option, n))
		}
		total += n
	}
	if len(problems) > 0 {
		return problems
	}
	l := p.line
	check := func(ok bool, what string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Sprintf(what, args...))
		}
	}
	check(p.issued()+l["cancelled"] == l["ballots_received"], "issued %d + cancelled %d ≠ received %d", p.issued(), l["cancelled"], l["ballots_received"])
	check(l["valid"]+l["invalid"] == p.found(), "valid %d + invalid %d ≠ found %d", l["valid"], l["invalid"], p.found())
	check(total == l["valid"], "valid %d ≠ sum of votes %d", l["valid"], total)
	check(p.found() <= p.issued(), "found %d > issued %d", p.found(), p.issued())
	check(l["found_mobile"] <= l["issued_outside"], "found in mobile boxes %d > issued outside %d", l["found_mobile"], l["issued_outside"])
	check(p.issued() <= l["voters_on_list"], "issued %d > voters on the list %d", p.issued(), l["voters_on_list"])
	return problems
}

// belongs: the protocol's election, station, contest and ballot lines are the definition's.
func belongs(p *protocol, e *election) []string {
	var problems []string
	if p.election != e.id {
		problems = append(problems, fmt.Sprintf("election %q is not %q", p.election, e.id))
	}
	s := e.byStation[p.station]
	if s == nil {
		problems = append(problems, fmt.Sprintf("no station %q in this election", p.station))
	}
	c := e.contest(p.contest)
	if c == nil {
		return append(problems, fmt.Sprintf("no contest %q in this election", p.contest))
	}
	if s != nil && !c.covers(s.district) {
		problems = append(problems, fmt.Sprintf("station %s (district %s) does not vote in %s", s.id, s.district, c.id))
	}
	expected := map[string]bool{}
	for _, o := range c.ballotOrder() {
		expected[o] = true
		if _, ok := p.votes[o]; !ok {
			problems = append(problems, fmt.Sprintf("votes: missing line for %q", o))
		}
	}
	for o := range p.votes {
		if !expected[o] {
			problems = append(problems, fmt.Sprintf("votes: %q is not on the ballot", o))
		}
	}
	sort.Strings(problems)
	return problems
}

// signedBytes: what is signed "for purpose P": P || 0x0A || canonical(document).
func verifySigned(keyB64, purpose string, document any, signature any) error {
	key, err := base64.StdEncoding.Strict().DecodeString(keyB64)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("bad public key")
	}
	sigText, ok := signature.(string)
	if !ok {
		return fmt.Errorf("signature: required")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("signature is not base64 of 64 bytes")
	}
	body, err := canonical(document)
	if err != nil {
		return err
	}
	if !ed25519.Verify(ed25519.PublicKey(key), append([]byte(purpose+"\n"), body...), sig) {
		return fmt.Errorf("signature does not verify")
	}
	return nil
}

func documentHash(v any) string {
	sum := sha256.Sum256(mustCanonical(v))
	return hex.EncodeToString(sum[:])
}

// examine: a protocol submission {"protocol", "device", "signature"} judged now, with the backup
// devices switched in so far.
func examine(e *election, doc, dev, sig any, backups map[string]map[string]bool) (*protocol, []string) {
	p, problems := readProtocol(doc)
	if p != nil {
		problems = append(problems, belongs(p, e)...)
		problems = append(problems, relations(p)...)
	}
	stationID, _ := func() (string, bool) { m, _ := doc.(map[string]any); s, ok := m["station"].(string); return s, ok }()
	s := e.byStation[stationID]
	if s == nil || len(s.devices) == 0 {
		if (dev != nil || sig != nil) && s != nil {
			problems = append(problems, fmt.Sprintf("device: station %s has no registered devices", stationID))
		}
	} else {
		devID, ok1 := dev.(string)
		_, ok2 := sig.(string)
		d := s.device(devID)
		switch {
		case !ok1 || !ok2:
			problems = append(problems, "signature: required: this station's protocols are signed by its device")
		case d == nil:
			problems = append(problems, fmt.Sprintf("device: %q is not a device of station %s", devID, s.id))
		case d.role == "backup" && !backups[s.id][devID]:
			problems = append(problems, fmt.Sprintf("device: backup %s signed, but no switch to it is recorded for station %s", devID, s.id))
		default:
			if err := verifySigned(d.key, "achyk/protocol/v1", doc, sig); err != nil {
				problems = append(problems, fmt.Sprintf("signature: device %s: %v", devID, err))
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return p, nil
}

func nonEmpty(v any) bool {
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) != ""
}
