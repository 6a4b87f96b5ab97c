package main

// Observer missions ("Observer missions" in docs/record-format.md): the chain of trust CEC →
// mission → observer, each entry signed over itself without kind, election and signature; the
// deployment plan redrawn from its seed; observations, their published content and protocol copies.

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

var (
	observerPurposes = map[string]string{
		"mission-accreditation": "achyk/mission-accreditation/v1", "observer-registration": "achyk/observer-registration/v1",
		"deployment-plan": "achyk/deployment-plan/v1", "observation": "achyk/observation/v1",
		"observation-content": "achyk/observation-content/v1", "protocol-copy": "achyk/protocol-copy/v1",
		"station-change": "achyk/station-change/v1", "lto-areas": "achyk/lto-areas/v1",
		"mission-statement": "achyk/mission-statement/v1", "mission-forms": "achyk/mission-forms/v1",
	}
	// What an observer signs on the day: the same signed submission twice on the log is refused.
	submissionKinds = []string{"observation", "protocol-copy", "station-change"}
	missionRoles    = map[string][]string{"international": {"core", "lto", "sto"}, "cis": {"core", "lto", "sto"},
		"domestic": {"core", "domestic"}, "party": {"core", "agent"}}
	observingRoles = []string{"sto", "domestic", "agent", "lto"}
)

type mission struct{ id, kind, key, witness, trustee string }
type observer struct{ mission, pseudonym, role, team, key string }
type observation struct {
	mission, digest, form string
	published             bool
	own                   *ownForm // the mission's own form as it stood when the observer signed
}

var formID = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

type observerState struct {
	missions     map[string]mission
	observers    map[[2]string]observer
	plans        map[string]bool
	observations map[int]*observation
	keys         map[string]bool
	copies       []protocolCopy
	submitted    map[string]int                 // a submission's signature → its log entry
	ownForms     map[string]map[string]*ownForm // mission → its own forms, as last published
}

type protocolCopy struct {
	index                               int
	mission, observer, station, contest string
	figures                             map[string]any
}

func observerText(entry map[string]any, key string, limit int) (string, error) {
	s, ok := entry[key].(string)
	if !ok || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > limit {
		return "", fmt.Errorf("%s: text of 1 to %d characters required", key, limit)
	}
	return s, nil
}

// strata: the stations whose channel is "station", by region, those abroad (with a country) in
// the stratum "abroad".
func (e *election) strata() map[string][]string {
	out := map[string][]string{}
	for _, s := range e.stations {
		if s.channel != "station" {
			continue
		}
		k := s.region
		if s.country != "" {
			k = "abroad"
		}
		out[k] = append(out[k], s.id)
	}
	return out
}

func drawRank(seed, stratum, item string) []byte {
	sum := sha256.Sum256([]byte(seed + "/" + stratum + "/" + item))
	return sum[:]
}

// deploymentDraw: teams allocated to strata by largest remainder (ties to the stratum id first,
// never more than its stations), ordered by their hash, each stratum's stations by theirs.
func deploymentDraw(seed string, teams []string, strata map[string][]string, perTeam int64) (map[string]any, map[string]any) {
	var population, total int64
	var ids []string
	for k, v := range strata {
		population += int64(len(v))
		ids = append(ids, k)
	}
	sort.Strings(ids)
	total = int64(len(teams))
	if total > population {
		total = population
	}
	alloc := map[string]int64{}
	if total > 0 {
		var given int64
		for _, k := range ids {
			alloc[k] = total * int64(len(strata[k])) / population
			given += alloc[k]
		}
		byRemainder := append([]string{}, ids...)
		rem := func(k string) int64 { return total * int64(len(strata[k])) % population }
		sort.SliceStable(byRemainder, func(i, j int) bool { return rem(byRemainder[i]) > rem(byRemainder[j]) })
		for _, k := range byRemainder {
			if given == total {
				break
			}
			if alloc[k] < int64(len(strata[k])) {
				alloc[k]++
				given++
			}
		}
	}
	order := append([]string{}, teams...)
	sort.SliceStable(order, func(i, j int) bool {
		return bytes.Compare(drawRank(seed, "team", order[i]), drawRank(seed, "team", order[j])) < 0
	})
	outStrata, assignments := map[string]any{}, map[string]any{}
	at := 0
	for _, k := range ids {
		n := int(alloc[k])
		outStrata[k] = []any{int64(len(strata[k])), int64(n)}
		if n == 0 {
			continue
		}
		drawn := append([]string{}, strata[k]...)
		sort.SliceStable(drawn, func(i, j int) bool {
			return bytes.Compare(drawRank(seed, k, drawn[i]), drawRank(seed, k, drawn[j])) < 0
		})
		if int64(len(drawn)) > int64(n)*perTeam {
			drawn = drawn[:int64(n)*perTeam]
		}
		for j, team := range order[at : at+n] {
			visits := []any{}
			for x := j; x < len(drawn); x += n {
				visits = append(visits, drawn[x])
			}
			assignments[team] = visits
		}
		at += n
	}
	return outStrata, assignments
}

func (st *replayState) observerEntry(index int, entry map[string]any) {
	o := st.obs
	if o.submitted == nil {
		o.submitted = map[string]int{}
	}
	kind, _ := entry["kind"].(string)
	// The same kind, fields and signature (achyk.observers.fold.submission_id, keyed alike here).
	signature := kind + "\n" + documentHash(withoutKeys(entry, "kind", "election"))
	if prior, seen := o.submitted[signature]; seen && member(kind, submissionKinds) {
		st.fail(index, "%v: the same signed submission is already log entry %d", kind, prior)
		return
	}
	if err := st.observerFold(index, entry); err != nil {
		st.fail(index, "%v: %v", entry["kind"], err)
		return
	}
	if member(kind, submissionKinds) {
		o.submitted[signature] = index
	}
}

// ltoDraw: regions to long-term observers, both ordered by SHA-256 of the seed; with at least as
// many LTOs as regions the i-th LTO takes the (i mod R)-th region, else the j-th region goes to
// the (j mod L)-th LTO (achyk.observers.moves.lto_draw).
func ltoDraw(seed string, ltos, regions []string) map[string]any {
	people := append([]string{}, ltos...)
	sort.SliceStable(people, func(i, j int) bool {
		return bytes.Compare(drawRank(seed, "lto", people[i]), drawRank(seed, "lto", people[j])) < 0
	})
	places := append([]string{}, regions...)
	sort.SliceStable(places, func(i, j int) bool {
		return bytes.Compare(drawRank(seed, "region", places[i]), drawRank(seed, "region", places[j])) < 0
	})
	out := map[string]any{}
	if len(people) == 0 || len(places) == 0 {
		return out
	}
	if len(people) >= len(places) {
		for i, p := range people {
			out[p] = []any{places[i%len(places)]}
		}
		return out
	}
	for _, p := range people {
		out[p] = []any{}
	}
	for j, r := range places {
		p := people[j%len(people)]
		out[p] = append(out[p].([]any), r)
	}
	return out
}

func (st *replayState) observerFold(index int, entry map[string]any) error {
	o := st.obs
	kind, _ := entry["kind"].(string)
	statement := withoutKeys(entry, "kind", "election", "signature")
	signedBy := func(key string) error {
		if err := verifySigned(key, observerPurposes[kind], statement, entry["signature"]); err != nil {
			return fmt.Errorf("signature: %v", err)
		}
		return nil
	}
	missionOf := func() (mission, error) {
		m, ok := o.missions[fmt.Sprint(entry["mission"])]
		if !ok {
			return m, fmt.Errorf("mission %v is not accredited", entry["mission"])
		}
		return m, nil
	}
	observerOf := func() (observer, error) {
		m, err := missionOf()
		if err != nil {
			return observer{}, err
		}
		ob, ok := o.observers[[2]string{m.id, fmt.Sprint(entry["observer"])}]
		if !ok {
			return ob, fmt.Errorf("%v is not an observer registered by %s", entry["observer"], m.id)
		}
		if !member(ob.role, observingRoles) {
			return ob, fmt.Errorf("a %s does not submit station forms or copies", ob.role)
		}
		return ob, signedBy(ob.key)
	}
	station := func() error {
		id, err := observerText(entry, "station", 64)
		if err == nil && (st.e.byStation[id] == nil || st.e.byStation[id].channel != "station") {
			err = fmt.Errorf("no station %q in the election", id)
		}
		return err
	}
	switch kind {
	case "mission-accreditation":
		id, _ := entry["authority"].(string)
		a, ok := st.e.authorityOf[id]
		if !ok || a.body != "central" {
			return fmt.Errorf("%q is not the central commission: it cannot accredit", id)
		}
		if err := signedBy(a.key); err != nil {
			return err
		}
		mk, _ := entry["mission_kind"].(string)
		if _, ok := missionRoles[mk]; !ok {
			return fmt.Errorf("mission_kind: one of international, cis, domestic, party")
		}
		mid, err := observerText(entry, "mission", 64)
		if err == nil {
			_, err = observerText(entry, "name", 300)
		}
		var key string
		if err == nil {
			key, err = observerText(entry, "public_key", 100)
		}
		if err != nil {
			return err
		}
		if _, dup := o.missions[mid]; dup {
			return fmt.Errorf("mission %s is already accredited", mid)
		}
		links := map[string]string{}
		for _, k := range []string{"witness", "trustee"} {
			if v, present := entry[k]; present {
				s, isText := v.(string)
				if !isText || s == "" || utf8.RuneCountInString(s) > 128 {
					return fmt.Errorf("%s: the name it has as %s, 1 to 128 characters, or absent", k, k)
				}
				links[k] = s
			}
		}
		o.missions[mid] = mission{mid, mk, key, links["witness"], links["trustee"]}
	case "observer-registration":
		m, err := missionOf()
		if err == nil {
			err = signedBy(m.key)
		}
		if err != nil {
			return err
		}
		role, _ := entry["role"].(string)
		if !member(role, missionRoles[m.kind]) {
			return fmt.Errorf("a %s mission has no %v observers", m.kind, entry["role"])
		}
		team, isText := entry["team"].(string)
		if role == "sto" && (!isText || team == "") {
			return fmt.Errorf("a short-term observer belongs to a team")
		}
		if entry["team"] != nil && (!isText || utf8.RuneCountInString(team) > 64) {
			return fmt.Errorf("team: text of at most 64 characters or null")
		}
		if langs, present := entry["languages"]; present {
			list, ok := langs.([]any)
			for _, l := range list {
				s, isS := l.(string)
				ok = ok && isS && utf8.RuneCountInString(s) >= 2 && utf8.RuneCountInString(s) <= 3
			}
			if !ok {
				return fmt.Errorf("languages: a list of ISO 639 codes")
			}
		}
		pseudonym, err := observerText(entry, "observer", 64)
		var key string
		if err == nil {
			key, err = observerText(entry, "public_key", 100)
		}
		if err != nil {
			return err
		}
		if _, dup := o.observers[[2]string{m.id, pseudonym}]; dup {
			return fmt.Errorf("%s is already registered by %s", pseudonym, m.id)
		}
		if o.keys[key] {
			return fmt.Errorf("that key is already an observer's")
		}
		o.keys[key] = true
		if o.plans[m.id] && team != "" {
			return fmt.Errorf("%s has committed its plan: no new team members", m.id)
		}
		o.observers[[2]string{m.id, pseudonym}] = observer{m.id, pseudonym, role, team, key}
	case "deployment-plan":
		m, err := missionOf()
		if err == nil {
			err = signedBy(m.key)
		}
		if err != nil {
			return err
		}
		if o.plans[m.id] {
			return fmt.Errorf("%s has already committed its plan", m.id)
		}
		for _, ob := range o.observations {
			if ob.mission == m.id {
				return fmt.Errorf("a plan comes before the mission's first observation")
			}
		}
		seed, isText := entry["seed"].(string)
		perTeam, isInt := asInt(entry["per_team"])
		if !isText || !isInt || seed == "" || utf8.RuneCountInString(seed) > 128 || perTeam < 1 || perTeam > 50 {
			return fmt.Errorf("a plan names its seed (1 to 128 characters) and per_team (1 to 50)")
		}
		teamSet := map[string]bool{}
		for k, ob := range o.observers {
			if k[0] == m.id && ob.team != "" {
				teamSet[ob.team] = true
			}
		}
		strata, assignments := deploymentDraw(seed, sortedKeys(teamSet), st.e.strata(), perTeam)
		if !reflect.DeepEqual(normalise(entry["strata"]), strata) || !reflect.DeepEqual(normalise(entry["assignments"]), assignments) {
			return fmt.Errorf("the plan is not its seed's draw")
		}
		o.plans[m.id] = true
	case "observation":
		ob, err := observerOf()
		if err == nil {
			err = station()
		}
		if err == nil {
			_, err = observerText(entry, "form", 64)
		}
		if err != nil {
			return err
		}
		digest, _ := entry["content_sha256"].(string)
		if !hex64.MatchString(digest) {
			return fmt.Errorf("content_sha256: the SHA-256 of the form's content, hex")
		}
		if _, err := observerText(entry, "at", 40); err != nil {
			return err
		}
		form := entry["form"].(string)
		own := o.ownForms[ob.mission][form]
		if !member(form, standardForms) && own == nil {
			return fmt.Errorf("no form %q: neither a standard form nor one %s has published", form, ob.mission)
		}
		if member(form, standardForms) {
			own = nil
		}
		o.observations[index] = &observation{mission: ob.mission, digest: digest, form: form, own: own}
	case "observation-content":
		m, err := missionOf()
		if err == nil {
			err = signedBy(m.key)
		}
		if err != nil {
			return err
		}
		target, isInt := asInt(entry["observation"])
		ob := o.observations[int(target)]
		if !isInt || ob == nil || ob.mission != m.id {
			return fmt.Errorf("log entry %v is not an observation of %s", entry["observation"], m.id)
		}
		if ob.published {
			return fmt.Errorf("observation %d is already published", target)
		}
		content, isObj := entry["content"].(map[string]any)
		if !isObj {
			return fmt.Errorf("content: the form's answers, an object")
		}
		if photos, present := entry["photos"]; present {
			evidence, _ := content["evidence"].([]any)
			byHash, isObj := photos.(map[string]any)
			ok := isObj
			for k, v := range byHash {
				s, isText := v.(string)
				ok = ok && member(k, anyStrings(evidence)) && isText && len(s) == 64
			}
			if !ok {
				return fmt.Errorf("photos: each photo of the content's evidence → its published hash")
			}
		}
		if documentHash(content) != ob.digest {
			return fmt.Errorf("the content hashes to %s, the observer signed %s", documentHash(content), ob.digest)
		}
		if ob.own != nil {
			// Quality flags are findings about the station, not failures of the record.
			if _, err := checkOwnAnswers(ob.form, ob.own, content["answers"]); err != nil {
				return err
			}
		}
		ob.published = true
	case "station-change":
		if _, err := observerOf(); err != nil {
			return err
		}
		var err error
		var from, to string
		from, err = observerText(entry, "from", 64)
		if err == nil {
			to, err = observerText(entry, "to", 64)
		}
		if err == nil && from == to {
			err = fmt.Errorf("a change of station names two different stations")
		}
		if err == nil {
			_, err = observerText(entry, "reason", 500)
		}
		if err == nil {
			_, err = observerText(entry, "at", 40)
		}
		for _, id := range []string{from, to} {
			if err == nil && (st.e.byStation[id] == nil || st.e.byStation[id].channel != "station") {
				err = fmt.Errorf("no station %q in the election", id)
			}
		}
		return err
	case "lto-areas":
		m, err := missionOf()
		if err == nil {
			err = signedBy(m.key)
		}
		if err != nil {
			return err
		}
		var ltos, regions []string
		for k, ob := range o.observers {
			if k[0] == m.id && ob.role == "lto" {
				ltos = append(ltos, ob.pseudonym)
			}
		}
		for k := range st.e.strata() {
			if k != "abroad" {
				regions = append(regions, k)
			}
		}
		areas, isObj := entry["areas"].(map[string]any)
		if !isObj || len(areas) == 0 {
			return fmt.Errorf("areas: an object, LTO pseudonym → list of region ids")
		}
		for who, where := range areas {
			if !member(who, ltos) {
				return fmt.Errorf("%q is not a long-term observer of %s", who, m.id)
			}
			list, isList := where.([]any)
			if !isList || len(list) == 0 {
				return fmt.Errorf("areas of %s: a list of region ids", who)
			}
			for _, r := range list {
				if s, isText := r.(string); !isText || !member(s, regions) {
					return fmt.Errorf("areas of %s: no region %v at home", who, r)
				}
			}
		}
		if seed, isText := entry["seed"].(string); isText {
			if !reflect.DeepEqual(normalise(areas), ltoDraw(seed, ltos, regions)) {
				return fmt.Errorf("the areas are not their seed's draw over the mission's LTOs")
			}
		} else if entry["seed"] != nil {
			return fmt.Errorf("seed: text or null")
		}
	case "mission-forms":
		m, err := missionOf()
		if err != nil {
			return err
		}
		if signedBy(m.key) != nil {
			return fmt.Errorf("the forms are not signed by the accredited key of mission %s", m.id)
		}
		ids, err := missionForms(entry["forms"])
		if err != nil {
			return err
		}
		if o.ownForms == nil {
			o.ownForms = map[string]map[string]*ownForm{}
		}
		o.ownForms[m.id] = ids // replaces the earlier entry's
	case "mission-statement":
		m, err := missionOf()
		if err != nil {
			return err
		}
		if signedBy(m.key) != nil {
			return fmt.Errorf("the statement is not signed by the accredited key of mission %s", m.id)
		}
		doc, isObj := entry["statement"].(map[string]any)
		if !isObj {
			return fmt.Errorf("a statement is a JSON object")
		}
		if k, _ := doc["kind"].(string); k != "preliminary" && k != "final" {
			return fmt.Errorf("kind: one of preliminary, final")
		}
		if err := statementShape(doc); err != nil {
			return err
		}
		if doc["mission"] != m.id {
			return fmt.Errorf("the statement names mission %v, it is signed as %s", doc["mission"], m.id)
		}
		if _, err := observerText(entry, "issued_at", 40); err != nil {
			return err
		}
	case "protocol-copy":
		ob, err := observerOf()
		if err == nil {
			err = station()
		}
		var contestID string
		if err == nil {
			contestID, err = observerText(entry, "contest", 64)
		}
		if err != nil {
			return err
		}
		figures, _ := entry["figures"].(map[string]any)
		votes, isObj := figures["votes"].(map[string]any)
		if !isObj {
			return fmt.Errorf("figures: the protocol's lines and its votes, as copied")
		}
		var values []any
		for _, k := range lineNames {
			values = append(values, figures[k])
		}
		for _, v := range votes {
			values = append(values, v)
		}
		for _, v := range values {
			if n, ok := asInt(v); !ok || n < 0 {
				return fmt.Errorf("figures: whole numbers ≥ 0 for the nine lines and votes")
			}
		}
		o.copies = append(o.copies, protocolCopy{index, ob.mission, ob.pseudonym, entry["station"].(string), contestID, figures})
	}
	return nil
}

// copyFindings: each protocol copy set beside its station's current protocol (the official one
// where there is one): a difference is a finding about the election, not a failure of the record.
func copyFindings(st *replayState) []string {
	published := map[[2]string]*protocol{}
	for k, h := range st.slots {
		key := [2]string{k.station, k.contest}
		if published[key] == nil || k.kind == "official" {
			published[key] = h.p
		}
	}
	var out []string
	for _, c := range st.obs.copies {
		p := published[[2]string{c.station, c.contest}]
		if p == nil {
			out = append(out, fmt.Sprintf("station %s %s: %s/%s holds a copy (log entry %d); no protocol is published", c.station, c.contest, c.mission, c.observer, c.index))
			continue
		}
		var diffs []string
		for _, k := range lineNames {
			if n, _ := asInt(c.figures[k]); n != p.line[k] {
				diffs = append(diffs, fmt.Sprintf("%s: copy %d, published %d", k, n, p.line[k]))
			}
		}
		votes, _ := c.figures["votes"].(map[string]any)
		options := map[string]bool{}
		for o := range votes {
			options[o] = true
		}
		for o := range p.votes {
			options[o] = true
		}
		for _, o := range sortedKeys(options) {
			n, inCopy := asInt(votes[o])
			m, inPublished := p.votes[o]
			if inCopy != inPublished || n != m {
				diffs = append(diffs, fmt.Sprintf("votes for %s: copy %v, published %v", o, votes[o], m))
			}
		}
		if len(diffs) > 0 {
			out = append(out, fmt.Sprintf("station %s %s: the copy of %s/%s (log entry %d) differs from the published protocol — %s", c.station, c.contest, c.mission, c.observer, c.index, strings.Join(diffs, "; ")))
		}
	}
	return out
}

func anyStrings(list []any) []string {
	out := []string{}
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
