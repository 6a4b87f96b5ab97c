package main

// The election definition (definition.json) as the verifier needs it: contests and their ballot
// lines, the geography, devices and authorities. Every problem is named with its path.

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

const againstAll = "against-all"

type contest struct {
	id, name, kind, method, base string
	seats                        int64
	options                      []string
	againstAll                   bool
	threshold, regionThreshold   *big.Rat
	thresholdText, regionText    string
	regionRaw                    string // as the definition writes it
	seatCap                      int64  // 0: none
	districts                    []string
}

func (c *contest) covers(district string) bool {
	if len(c.districts) == 0 {
		return true
	}
	for _, d := range c.districts {
		if d == district {
			return true
		}
	}
	return false
}

// ballotOrder: the options in the definition's order, then "against-all" when the contest has it.
func (c *contest) ballotOrder() []string {
	out := append([]string{}, c.options...)
	if c.againstAll {
		out = append(out, againstAll)
	}
	return out
}

type device struct{ id, role, key string }

type station struct {
	id, name         string
	registered       int64
	devices          []device
	country          string // "" when at home
	channel          string
	district, region string
	regionAbroad     bool
}

func (s *station) device(id string) *device {
	for i := range s.devices {
		if s.devices[i].id == id {
			return &s.devices[i]
		}
	}
	return nil
}

type unitName struct{ id, name string }

type region struct {
	id, name  string
	abroad    bool
	districts []unitName
}

type authority struct{ id, key, body, unit string }

type election struct {
	id, name            string
	form                *protocolForm        // nil: the standard nine-line protocol
	witnesses           [][2]string          // (name, cosignature vkey), in definition order
	boards              map[string][2]string // audit-board member → (party, key)
	quorum              int64                // witness_quorum; 0 when no witness is named
	credentialAuthority string               // base64 Ed25519 key signing the remote credential list; "": none
	authorityOf         map[string]authority
	contests            []*contest
	regions             []region
	stations            []*station // in definition order
	byStation           map[string]*station
	authorities         map[string]string // id → base64 key
}

func (e *election) contest(id string) *contest {
	for _, c := range e.contests {
		if c.id == id {
			return c
		}
	}
	return nil
}

type defReader struct{ problems []string }

func (r *defReader) fail(path, what string) { r.problems = append(r.problems, path+": "+what) }

func (r *defReader) obj(v any, path string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(path, "an object is required")
		return map[string]any{}
	}
	return m
}

func (r *defReader) list(v any, path string, required bool) []any {
	if v == nil && !required {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		r.fail(path, "a list is required")
	}
	return l
}

func (r *defReader) text(m map[string]any, key, path string, required bool) string {
	v, present := m[key]
	if !present || v == nil {
		if required {
			r.fail(path+"."+key, "required")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok || (required && s == "") {
		r.fail(path+"."+key, "a non-empty string is required")
	}
	return s
}

func (r *defReader) integer(m map[string]any, key, path string, min int64) int64 {
	i, ok := asInt(m[key])
	if !ok || i < min {
		r.fail(path+"."+key, fmt.Sprintf("a whole number ≥ %d is required", min))
	}
	return i
}

func (r *defReader) flag(m map[string]any, key, path string) bool {
	v, present := m[key]
	if !present {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(path+"."+key, "true or false is required")
	}
	return b
}

func (r *defReader) oneOf(m map[string]any, key, path, dflt string, allowed ...string) string {
	v, present := m[key]
	if !present {
		return dflt
	}
	s, _ := v.(string)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	r.fail(path+"."+key, fmt.Sprintf("one of %s is required", strings.Join(allowed, ", ")))
	return dflt
}

func (r *defReader) known(m map[string]any, path string, keys ...string) {
	for k := range m {
		found := false
		for _, want := range keys {
			found = found || k == want
		}
		if !found {
			r.fail(path+"."+k, "unknown field")
		}
	}
}

// names: a name's translations (record-format.md, "Names in other languages"), optional; when
// given, a mapping of ru, ky, kk or en to a non-empty text. They are for showing: no figure uses them.
func (r *defReader) names(m map[string]any, path string) {
	v, present := m["names"]
	if !present {
		return
	}
	given, ok := v.(map[string]any)
	if !ok {
		r.fail(path+".names", "a mapping of language to name is required")
		return
	}
	for lang, name := range given {
		text, isText := name.(string)
		if lang != "ru" && lang != "ky" && lang != "kk" && lang != "en" {
			r.fail(path+".names."+lang, "a language of ru, ky, kk or en is required")
		} else if !isText || text == "" {
			r.fail(path+".names."+lang, "a non-empty name is required")
		}
	}
}

var decimalPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// percentage: a decimal string ("5", "0.5") or a whole number, 0..100, kept exactly.
func (r *defReader) percentage(m map[string]any, key, path string) (*big.Rat, string) {
	v, present := m[key]
	if !present {
		return new(big.Rat), "0"
	}
	var text string
	switch t := v.(type) {
	case string:
		text = t
	default:
		if i, ok := asInt(v); ok {
			text = fmt.Sprint(i)
		}
	}
	q, ok := new(big.Rat).SetString(text)
	if !decimalPattern.MatchString(text) || !ok || q.Cmp(big.NewRat(100, 1)) > 0 {
		r.fail(path+"."+key, "a percentage between 0 and 100 is required")
		return new(big.Rat), "0"
	}
	return q, percentText(text)
}

// percentText writes a percentage as its normalised decimal: "5.00" → "5", "0.50" → "0.5".
func percentText(text string) string {
	if strings.Contains(text, ".") {
		text = strings.TrimRight(strings.TrimRight(text, "0"), ".")
	}
	text = strings.TrimLeft(text, "0")
	if text == "" || strings.HasPrefix(text, ".") {
		text = "0" + text
	}
	return text
}

func (r *defReader) key(v string, path string) {
	raw, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil {
		r.fail(path, "not valid base64")
	} else if len(raw) != 32 {
		r.fail(path, fmt.Sprintf("an Ed25519 public key is 32 bytes, got %d", len(raw)))
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
var datePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

func readDefinition(doc any) (*election, []string) {
	r := &defReader{}
	top := r.obj(doc, "definition")
	r.known(top, "definition", "format", "election", "authorities", "contests", "regions", "form",
		"witnesses", "witness_quorum", "audit_boards", "disputes")
	if d, present := top["disputes"]; present {
		r.disputeRules(d)
	}
	if f, ok := top["format"]; ok {
		if i, isInt := asInt(f); !isInt || i != 1 {
			r.fail("format", "only format 1 is known")
		}
	}
	head := r.obj(top["election"], "election")
	r.known(head, "election", "id", "name", "names", "type", "date", "abroad_any_station", "credential_authority")
	r.names(head, "election")
	e := &election{byStation: map[string]*station{}, authorities: map[string]string{}, authorityOf: map[string]authority{}, boards: map[string][2]string{}}
	for i, wv := range r.list(top["witnesses"], "witnesses", false) {
		at := fmt.Sprintf("witnesses[%d]", i)
		m := r.obj(wv, at)
		r.known(m, at, "name", "key")
		w := [2]string{r.text(m, "name", at, true), r.text(m, "key", at, true)}
		if _, err := parseWitnessKey(w[1]); err != nil {
			r.fail(at+".key", fmt.Sprintf("not a witness verifier key: %v", err))
		}
		for _, other := range e.witnesses {
			if other[0] == w[0] {
				r.fail(at+".name", fmt.Sprintf("witness %q is named twice", w[0]))
			}
		}
		e.witnesses = append(e.witnesses, w)
	}
	if len(e.witnesses) > 32 {
		r.fail("witnesses", "at most 32 witnesses")
	}
	if q, present := top["witness_quorum"]; present && q != nil {
		e.quorum = r.integer(top, "witness_quorum", "definition", 1)
		if e.quorum > int64(len(e.witnesses)) {
			r.fail("witness_quorum", fmt.Sprintf("%d is more than the %d witnesses named", e.quorum, len(e.witnesses)))
		}
	} else if len(e.witnesses) > 0 {
		r.fail("witness_quorum", "required when witnesses are named")
	}
	for i, bv := range r.list(top["audit_boards"], "audit_boards", false) {
		at := fmt.Sprintf("audit_boards[%d]", i)
		m := r.obj(bv, at)
		r.known(m, at, "id", "name", "party", "public_key")
		id := r.text(m, "id", at, true)
		r.text(m, "name", at, true)
		party, key := r.text(m, "party", at, true), r.text(m, "public_key", at, true)
		r.key(key, at+".public_key")
		if _, dup := e.boards[id]; dup {
			r.fail(at+".id", fmt.Sprintf("audit board member %q is named twice", id))
		}
		e.boards[id] = [2]string{party, key}
	}
	if f, present := top["form"]; present {
		e.form = r.form(f, "form")
	}
	e.id = r.text(head, "id", "election", true)
	if !idPattern.MatchString(e.id) {
		r.fail("election.id", "letters, digits, '.', '_' and '-' only")
	}
	e.name = r.text(head, "name", "election", true)
	r.oneOf(head, "type", "election", "", "parliamentary", "presidential", "local")
	if _, ok := head["type"]; !ok {
		r.fail("election.type", "required")
	}
	if !datePattern.MatchString(r.text(head, "date", "election", true)) {
		r.fail("election.date", "YYYY-MM-DD is required")
	}
	r.flag(head, "abroad_any_station", "election")
	if e.credentialAuthority = r.text(head, "credential_authority", "election", false); e.credentialAuthority != "" {
		r.key(e.credentialAuthority, "election.credential_authority")
	}
	var units [][2]string // authorities' units, checked once the geography is read
	for i, a := range r.list(top["authorities"], "authorities", false) {
		at := fmt.Sprintf("authorities[%d]", i)
		m := r.obj(a, at)
		r.known(m, at, "id", "name", "public_key", "body", "unit")
		id, key := r.text(m, "id", at, true), r.text(m, "public_key", at, true)
		r.text(m, "name", at, true)
		r.key(key, at+".public_key")
		e.authorities[id] = key
		a := authority{id: id, key: key, unit: r.text(m, "unit", at, false)}
		a.body = r.oneOf(m, "body", at, "central", bodies...)
		if u, ok := m["unit"]; ok && u != nil && a.unit == "" {
			r.fail(at+".unit", "a station, district or region id is required")
		}
		e.authorityOf[id] = a
		units = append(units, [2]string{at + ".unit", a.unit})
	}
	districtIDs := map[string]bool{}
	seen := map[string]map[string]bool{"region": {}, "district": {}, "station": {}, "device": {}, "contest": {}}
	dup := func(what, id, at string) {
		if seen[what][id] {
			r.fail(at, fmt.Sprintf("%s id %q is used more than once", what, id))
		}
		seen[what][id] = true
	}
	regions := r.list(top["regions"], "regions", true)
	if len(regions) == 0 {
		r.fail("regions", "at least one region is required")
	}
	for ri, rv := range regions {
		at := fmt.Sprintf("regions[%d]", ri)
		m := r.obj(rv, at)
		r.known(m, at, "id", "name", "names", "abroad", "districts")
		r.names(m, at)
		reg := region{id: r.text(m, "id", at, true), name: r.text(m, "name", at, true), abroad: r.flag(m, "abroad", at)}
		dup("region", reg.id, at+".id")
		for di, dv := range r.list(m["districts"], at+".districts", true) {
			dat := fmt.Sprintf("%s.districts[%d]", at, di)
			dm := r.obj(dv, dat)
			r.known(dm, dat, "id", "name", "names", "stations")
			r.names(dm, dat)
			d := unitName{r.text(dm, "id", dat, true), r.text(dm, "name", dat, true)}
			dup("district", d.id, dat+".id")
			districtIDs[d.id] = true
			reg.districts = append(reg.districts, d)
			for si, sv := range r.list(dm["stations"], dat+".stations", true) {
				sat := fmt.Sprintf("%s.stations[%d]", dat, si)
				sm := r.obj(sv, sat)
				r.known(sm, sat, "id", "name", "address", "registered_voters", "country", "city", "channel", "devices")
				s := &station{
					id: r.text(sm, "id", sat, true), name: r.text(sm, "name", sat, true),
					registered: r.integer(sm, "registered_voters", sat, 0),
					country:    r.text(sm, "country", sat, false),
					channel:    r.oneOf(sm, "channel", sat, "station", "station", "remote"),
					district:   d.id, region: reg.id, regionAbroad: reg.abroad,
				}
				r.text(sm, "address", sat, false)
				r.text(sm, "city", sat, false)
				if _, ok := sm["country"]; ok && len(s.country) != 2 {
					r.fail(sat+".country", "an ISO 3166-1 alpha-2 code is required")
				}
				if reg.abroad && s.country == "" && s.channel != "remote" {
					r.fail(sat+".country", "required for a station abroad")
				}
				if s.channel == "remote" && !reg.abroad {
					r.fail(sat+".channel", "the remote unit belongs abroad")
				}
				scanner := false
				for vi, dv := range r.list(sm["devices"], sat+".devices", false) {
					vat := fmt.Sprintf("%s.devices[%d]", sat, vi)
					vm := r.obj(dv, vat)
					r.known(vm, vat, "id", "role", "public_key")
					dev := device{r.text(vm, "id", vat, true), r.oneOf(vm, "role", vat, "", "scanner", "backup"), r.text(vm, "public_key", vat, true)}
					r.key(dev.key, vat+".public_key")
					dup("device", dev.id, vat+".id")
					scanner = scanner || dev.role == "scanner"
					s.devices = append(s.devices, dev)
				}
				if len(s.devices) > 0 && !scanner {
					r.fail(sat+".devices", "no device has the role 'scanner'")
				}
				dup("station", s.id, sat+".id")
				if e.byStation[s.id] == nil {
					e.byStation[s.id] = s
				}
				e.stations = append(e.stations, s)
			}
		}
		e.regions = append(e.regions, reg)
	}
	for _, u := range units {
		if u[1] == "" {
			continue
		}
		known := districtIDs[u[1]] || e.byStation[u[1]] != nil
		for _, reg := range e.regions {
			known = known || reg.id == u[1]
		}
		if !known {
			r.fail(u[0], fmt.Sprintf("no station, district or region %q", u[1]))
		}
	}
	contests := r.list(top["contests"], "contests", true)
	if len(contests) == 0 {
		r.fail("contests", "at least one contest is required")
	}
	for ci, cv := range contests {
		at := fmt.Sprintf("contests[%d]", ci)
		m := r.obj(cv, at)
		r.known(m, at, "id", "name", "names", "kind", "seats", "parties", "candidates", "against_all", "method",
			"threshold_pct", "region_threshold_pct", "seat_cap", "base", "districts")
		r.names(m, at)
		c := &contest{id: r.text(m, "id", at, true), name: r.text(m, "name", at, true)}
		dup("contest", c.id, at+".id")
		c.kind = r.oneOf(m, "kind", at, "", "party-list", "district", "presidential")
		if _, ok := m["kind"]; !ok {
			r.fail(at+".kind", "required")
		}
		c.seats = r.integer(m, "seats", at, 1)
		c.againstAll = r.flag(m, "against_all", at)
		c.method = r.oneOf(m, "method", at, "hare", "hare", "dhondt", "sainte-lague")
		c.base = r.oneOf(m, "base", at, "voted", "voted", "valid")
		c.threshold, c.thresholdText = r.percentage(m, "threshold_pct", at)
		c.regionThreshold, c.regionText = r.percentage(m, "region_threshold_pct", at)
		c.regionRaw = fmt.Sprint(m["region_threshold_pct"])
		if v, ok := m["seat_cap"]; ok && v != nil {
			c.seatCap = r.integer(m, "seat_cap", at, 1)
		}
		_, hasParties := m["parties"]
		_, hasCandidates := m["candidates"]
		if hasParties == hasCandidates {
			r.fail(at, "give exactly one of 'parties' or 'candidates'")
		}
		key := "parties"
		if hasCandidates {
			key = "candidates"
		}
		options := map[string]bool{}
		for oi, ov := range r.list(m[key], at+"."+key, true) {
			oat := fmt.Sprintf("%s.%s[%d]", at, key, oi)
			om := r.obj(ov, oat)
			r.known(om, oat, "id", "name", "names", "party")
			r.names(om, oat)
			id := r.text(om, "id", oat, true)
			r.text(om, "name", oat, true)
			r.text(om, "party", oat, false)
			if options[id] {
				r.fail(oat+".id", fmt.Sprintf("option id %q is used more than once", id))
			}
			options[id] = true
			c.options = append(c.options, id)
		}
		if len(c.options) == 0 {
			r.fail(at, "a contest needs at least one party or candidate")
		}
		for di, dv := range r.list(m["districts"], at+".districts", false) {
			s, _ := dv.(string)
			if !districtIDs[s] {
				r.fail(fmt.Sprintf("%s.districts[%d]", at, di), fmt.Sprintf("no district %q", s))
			}
			c.districts = append(c.districts, s)
		}
		if c.kind == "presidential" && c.seats != 1 {
			r.fail(at+".seats", "a presidential contest elects 1")
		}
		if c.kind == "district" && len(c.districts) == 0 {
			r.fail(at+".districts", "a district contest names its districts")
		}
		if c.kind != "party-list" && (c.threshold.Sign() > 0 || c.regionThreshold.Sign() > 0) {
			r.fail(at, "thresholds apply to party-list contests only")
		}
		e.contests = append(e.contests, c)
	}
	return e, r.problems
}
