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
	form                             string           // "" on the standard form
	line                             map[string]int64 // the nine lines and a form's own
	votes                            map[string]int64
}

// value: any line by its field name; 0 for a line this protocol's form does not have.
func (p *protocol) value(key string) int64 { return p.line[key] }

// issued: voters who received a ballot, early voters included (the turnout numerator).
func (p *protocol) issued() int64 {
	return p.line["issued_in_station"] + p.line["issued_outside"] + p.line[earlyLine]
}
func (p *protocol) found() int64 { return p.line["found_mobile"] + p.line["found_stationary"] }

func (p *protocol) totalVotes() int64 {
	var total int64
	for _, n := range p.votes {
		total += n
	}
	return total
}

// readProtocol: the protocol object on the election's form (nil: the standard nine lines, and no
// "form" field); every line of the form, nothing else.
func readProtocol(v any, form *protocolForm) (*protocol, []string) {
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
	names := lineNames
	if form != nil {
		known["form"] = true
		names = append(append([]string{}, lineNames...), form.extraKeys()...)
		if named, _ := doc["form"].(string); named != form.id {
			problems = append(problems, fmt.Sprintf("form: this election's protocols are on form %q, got %v", form.id, doc["form"]))
		}
		p.form = form.id
	}
	for _, name := range names {
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// relations: every relation the protocol breaks that refuses it — the form's, or on the standard
// form all six control relations.
func relations(p *protocol, form *protocolForm) []string {
	if form != nil {
		refusals, _ := checkForm(form, p)
		return refusals
	}
	return standardRelations(p)
}

func baseLine(key string) string {
	for i, k := range lineNames {
		if k == key {
			return fmt.Sprintf("line %d (%s)", i+1, baseLabels[i])
		}
	}
	return key
}

// standardRelations: the six control relations of the standard form, each problem written
// "where: what" exactly as an imported-protocol entry's `problems` lists them.
func standardRelations(p *protocol) []string {
	var problems []string
	for _, name := range lineNames {
		if p.line[name] < 0 {
			problems = append(problems, fmt.Sprintf("%s: %d is negative", baseLine(name), p.line[name]))
		}
	}
	for _, option := range sortedKeys(p.votes) {
		if n := p.votes[option]; n < 0 {
			problems = append(problems, fmt.Sprintf("votes for %s: %d is negative", option, n))
		}
	}
	if len(problems) > 0 {
		return problems // the sums below mean nothing with negative terms
	}
	l := p.line
	check := func(ok bool, where, what string, args ...any) {
		if !ok {
			problems = append(problems, where+": "+fmt.Sprintf(what, args...))
		}
	}
	total := p.totalVotes()
	check(p.issued()+l["cancelled"] == l["ballots_received"], baseLine("ballots_received"),
		"%d ≠ issued in station %d + issued outside %d + cancelled %d = %d",
		l["ballots_received"], l["issued_in_station"], l["issued_outside"], l["cancelled"], p.issued()+l["cancelled"])
	check(l["valid"]+l["invalid"] == p.found(), baseLine("valid"),
		"valid %d + invalid %d = %d ≠ ballots found %d (mobile %d + stationary %d)",
		l["valid"], l["invalid"], l["valid"]+l["invalid"], p.found(), l["found_mobile"], l["found_stationary"])
	check(total == l["valid"], baseLine("valid"), "%d ≠ sum of option votes %d", l["valid"], total)
	check(p.found() <= p.issued(), "ballots found", "%d found in boxes > %d ballots issued", p.found(), p.issued())
	check(l["found_mobile"] <= l["issued_outside"], baseLine("found_mobile"),
		"%d > %d ballots issued outside the station", l["found_mobile"], l["issued_outside"])
	check(p.issued() <= l["voters_on_list"], "ballots issued", "%d voters received ballots > %d voters on the list",
		p.issued(), l["voters_on_list"])
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
	p, problems := readProtocol(doc, e.form)
	if p != nil {
		problems = append(problems, belongs(p, e)...)
		problems = append(problems, relations(p, e.form)...)
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
