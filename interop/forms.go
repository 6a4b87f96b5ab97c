package main

// Protocol forms as data ("The definition" and "The protocol form" in docs/1-define.md): the
// numbered lines a country's law prescribes and the relations between them, each refusing or
// only flagging a protocol that breaks it. Problems name the country's line numbers, exactly as
// anomalies.json writes them.

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const earlyLine = "issued_early" // counts towards the ballots issued (turnout)

var baseLabels = []string{"voters on the list", "ballots received", "ballots issued in the station",
	"ballots issued outside the station (mobile box)", "ballots cancelled", "ballots found in mobile boxes",
	"ballots found in stationary boxes", "invalid ballots", "valid ballots"}

type formLine struct{ number, key, label string }

type term struct {
	sign int64
	key  string
}

type relation struct {
	left, right []term
	op          string // "=", "<=", ">="
	refuse      bool
}

type protocolForm struct {
	id        string
	lines     []formLine
	relations []relation
}

var (
	formIDPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	lineKeyPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	lineNumPattern  = regexp.MustCompile(`^[0-9]{1,3}[a-zа-я]?$`)
	reservedKeys    = map[string]bool{"election": true, "station": true, "contest": true, "kind": true, "votes": true, "form": true}
	relationOps     = map[string]string{"=": "=", "==": "=", "<=": "<=", "≤": "<=", ">=": ">=", "≥": ">="}
	relationToken   = regexp.MustCompile(`^\s*(<=|>=|==|≤|≥|=|\+|-|−|[a-z][a-z0-9_]*)`)
	brokenRelations = map[string]string{"=": "≠", "<=": ">", ">=": "<"}
)

func (f *protocolForm) line(key string) *formLine {
	for i := range f.lines {
		if f.lines[i].key == key {
			return &f.lines[i]
		}
	}
	return nil
}

// extraKeys: the form's own lines, beyond the nine every protocol has, in the form's order.
func (f *protocolForm) extraKeys() []string {
	base := map[string]bool{}
	for _, k := range lineNames {
		base[k] = true
	}
	var out []string
	for _, l := range f.lines {
		if !base[l.key] {
			out = append(out, l.key)
		}
	}
	return out
}

// firstOptionNumber: option lines are numbered on from the highest numbered line.
func (f *protocolForm) firstOptionNumber() int {
	highest := 0
	for _, l := range f.lines {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, l.number)
		if n, err := strconv.Atoi(digits); err == nil && n > highest {
			highest = n
		}
	}
	return highest + 1
}

func (f *protocolForm) where(key string) string {
	if key == "votes" {
		return fmt.Sprintf("lines %d+ (votes for each option)", f.firstOptionNumber())
	}
	if l := f.line(key); l != nil {
		return fmt.Sprintf("line %s (%s)", l.number, l.label)
	}
	return key
}

func (f *protocolForm) short(key string) string {
	if key == "votes" {
		return fmt.Sprintf("lines %d+", f.firstOptionNumber())
	}
	if l := f.line(key); l != nil {
		return "line " + l.number
	}
	return key
}

func parseRelation(text string) ([]term, string, []term, error) {
	var tokens []string
	rest := strings.TrimRight(text, " \t\n\r\f\v")
	for rest != "" {
		m := relationToken.FindStringSubmatch(rest)
		if m == nil {
			return nil, "", nil, fmt.Errorf("cannot read %q", strings.TrimSpace(rest))
		}
		tokens = append(tokens, m[1])
		rest = rest[len(m[0]):]
	}
	at := -1
	for i, t := range tokens {
		if _, isOp := relationOps[t]; isOp {
			if at >= 0 {
				return nil, "", nil, fmt.Errorf("a relation has exactly one of =, <=, >=")
			}
			at = i
		}
	}
	if at < 0 {
		return nil, "", nil, fmt.Errorf("a relation has exactly one of =, <=, >=")
	}
	left, err := relationSide(tokens[:at])
	if err != nil {
		return nil, "", nil, err
	}
	right, err := relationSide(tokens[at+1:])
	return left, relationOps[tokens[at]], right, err
}

func relationSide(tokens []string) ([]term, error) {
	var terms []term
	var sign int64
	for _, t := range tokens {
		if t == "+" || t == "-" || t == "−" {
			if sign != 0 {
				return nil, fmt.Errorf("two signs in a row")
			}
			sign = -1
			if t == "+" {
				sign = 1
			}
			continue
		}
		if len(terms) > 0 && sign == 0 {
			return nil, fmt.Errorf("a sign is missing before %q", t)
		}
		if sign == 0 {
			sign = 1
		}
		terms = append(terms, term{sign, t})
		sign = 0
	}
	if len(terms) == 0 || sign != 0 {
		return nil, fmt.Errorf("each side names at least one line, and ends with one")
	}
	return terms, nil
}

// form reads a definition's `form` object; a preset name has been written out in full.
func (r *defReader) form(v any, at string) *protocolForm {
	m := r.obj(v, at)
	r.known(m, at, "id", "name", "source", "lines", "relations")
	f := &protocolForm{id: r.text(m, "id", at, true)}
	if !formIDPattern.MatchString(f.id) {
		r.fail(at+".id", "lowercase letters, digits, '.', '_' and '-' only")
	}
	r.text(m, "name", at, true)
	r.text(m, "source", at, false)
	keys, numbers := map[string]bool{}, map[string]bool{}
	lines := r.list(m["lines"], at+".lines", true)
	if len(lines) == 0 {
		r.fail(at+".lines", "at least one line is required")
	}
	for i, lv := range lines {
		lat := fmt.Sprintf("%s.lines[%d]", at, i)
		lm := r.obj(lv, lat)
		r.known(lm, lat, "number", "key", "label")
		l := formLine{r.text(lm, "number", lat, true), r.text(lm, "key", lat, true), r.text(lm, "label", lat, true)}
		if !lineKeyPattern.MatchString(l.key) || reservedKeys[l.key] {
			r.fail(lat+".key", fmt.Sprintf("%q cannot name a line", l.key))
		}
		if !lineNumPattern.MatchString(l.number) {
			r.fail(lat+".number", fmt.Sprintf("%q: a line number is digits, then at most one letter", l.number))
		}
		if keys[l.key] || numbers[l.number] {
			r.fail(at+".lines", fmt.Sprintf("line %s (%s) is given twice", l.number, l.key))
		}
		keys[l.key], numbers[l.number] = true, true
		f.lines = append(f.lines, l)
	}
	for _, k := range lineNames {
		if !keys[k] {
			r.fail(at+".lines", fmt.Sprintf("the form has no line for %q", k))
		}
	}
	for i, rv := range r.list(m["relations"], at+".relations", false) {
		rat := fmt.Sprintf("%s.relations[%d]", at, i)
		rm := r.obj(rv, rat)
		r.known(rm, rat, "check", "on_fail")
		check := r.text(rm, "check", rat, true)
		onFail := r.oneOf(rm, "on_fail", rat, "", "refuse", "flag")
		if _, ok := rm["on_fail"]; !ok {
			r.fail(rat+".on_fail", "required")
		}
		left, op, right, err := parseRelation(check)
		if err != nil {
			r.fail(rat+".check", err.Error())
			continue
		}
		for _, t := range append(append([]term{}, left...), right...) {
			if !keys[t.key] && t.key != "votes" {
				r.fail(rat+".check", fmt.Sprintf("%q is not a line of the form", t.key))
			}
		}
		f.relations = append(f.relations, relation{left, right, op, onFail == "refuse"})
	}
	return f
}

// checkForm: (refusals, flags), each "where: what" as achyk writes them (anomalies.json).
func checkForm(f *protocolForm, p *protocol) ([]string, []string) {
	var refusals, flags []string
	for _, l := range f.lines {
		if v := p.value(l.key); v < 0 {
			refusals = append(refusals, fmt.Sprintf("%s: %d is negative", f.where(l.key), v))
		}
	}
	if len(refusals) == 0 {
		for _, rel := range f.relations {
			if broken := brokenRelation(f, rel, p); broken != "" {
				if rel.refuse {
					refusals = append(refusals, broken)
				} else {
					flags = append(flags, broken)
				}
			}
		}
	}
	for _, o := range sortedKeys(p.votes) {
		if p.votes[o] < 0 {
			refusals = append(refusals, fmt.Sprintf("votes for %s: %d is negative", o, p.votes[o]))
		}
	}
	return refusals, flags
}

func brokenRelation(f *protocolForm, rel relation, p *protocol) string {
	value := func(key string) int64 {
		if key == "votes" {
			return p.totalVotes()
		}
		return p.value(key)
	}
	sum := func(terms []term) int64 {
		var s int64
		for _, t := range terms {
			s += t.sign * value(t.key)
		}
		return s
	}
	left, right := sum(rel.left), sum(rel.right)
	ok := left == right
	if rel.op == "<=" {
		ok = left <= right
	} else if rel.op == ">=" {
		ok = left >= right
	}
	if ok {
		return ""
	}
	render := func(terms []term, total int64) string {
		if len(terms) == 1 && terms[0].sign == 1 {
			if terms[0].key == "votes" {
				return fmt.Sprintf("%d (sum of %s)", total, f.short("votes"))
			}
			return fmt.Sprint(total)
		}
		var parts []string
		for i, t := range terms {
			prefix := ""
			if t.sign < 0 {
				prefix = "− "
			} else if i > 0 {
				prefix = "+ "
			}
			parts = append(parts, fmt.Sprintf("%s%s %d", prefix, f.short(t.key), value(t.key)))
		}
		return strings.Join(parts, " ") + fmt.Sprintf(" = %d", total)
	}
	var where string
	if len(rel.left) == 1 {
		where = f.where(rel.left[0].key)
	} else {
		var names []string
		for _, t := range rel.left {
			names = append(names, f.short(t.key))
		}
		where = strings.Join(names, " + ")
	}
	return fmt.Sprintf("%s: %s %s %s", where, render(rel.left, left), brokenRelations[rel.op], render(rel.right, right))
}

// anomalies: anomalies.json as the log gives it — every current protocol breaking a relation the
// form flags, in log order.
func anomalies(st *replayState) map[string]any {
	doc := map[string]any{"format": int64(1), "form": nil, "protocols": []any{}}
	if st.e.form == nil {
		return doc
	}
	doc["form"] = st.e.form.id
	var current []held
	for _, h := range st.slots {
		current = append(current, h)
	}
	sort.Slice(current, func(i, j int) bool { return current[i].index < current[j].index })
	listed := []any{}
	for _, h := range current {
		_, flags := checkForm(st.e.form, h.p)
		if len(flags) == 0 {
			continue
		}
		texts := []any{}
		for _, f := range flags {
			texts = append(texts, f)
		}
		listed = append(listed, map[string]any{"log_index": int64(h.index), "document_hash": h.hash,
			"station": h.p.station, "contest": h.p.contest, "kind": h.p.kind, "flags": texts})
	}
	doc["protocols"] = listed
	return doc
}
