package main

// Complaints and decisions ("Complaints and decisions" in docs/record-format.md): every complaint
// well formed (its filer's signature where it is signed), every step signed by an authority of the
// definition and allowed by the fold — the status that may follow, the body the case is before
// and whose unit covers its station, decisions, hearings and the corrections of executed recounts.

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

var bodies = []string{"station", "territorial", "central", "court", "supreme-court"}

var (
	filers     = []string{"voter", "candidate", "party", "observer", "mission"}
	subjects   = []string{"station", "act", "election"}
	categories = []string{"ballot-stuffing", "carousel-voting", "voter-list", "counting", "final-protocol",
		"pressure", "vote-buying", "observers-obstructed", "campaign", "other"}
	decisions = []string{"dismiss", "uphold", "recount", "annul"}
	hex64     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	nextOf    = map[string][]string{
		"filed":             {"registered", "found-invalid"},
		"registered":        {"hearing-set", "decided", "found-invalid", "referred-to-court"},
		"hearing-set":       {"hearing-set", "decided", "referred-to-court"},
		"decided":           {"appealed", "referred-to-court", "executed", "closed"},
		"appealed":          {"hearing-set", "decided", "referred-to-court", "found-invalid"},
		"referred-to-court": {"hearing-set", "decided"},
		"executed":          {"closed", "appealed"},
		"found-invalid":     {"appealed"},
		"closed":            {},
	}
)

type disputeCase struct {
	complaint     int    // its log index
	station       string // "" for a complaint without a station
	status, body  string
	decision      string
	decisionIndex int
	decidedBy     string
	evidence      []any // the SHA-256 of each evidence file, as filed
	wasInvalid    bool  // found invalid at some step: decided, for the evidence release
}

func member(s string, set []string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

func bodyAbove(body string) string {
	for i, b := range bodies {
		if b == body && i+1 < len(bodies) {
			return bodies[i+1]
		}
	}
	return ""
}

// limitedText: a string with something besides spaces, of at most `limit` characters.
func limitedText(entry map[string]any, key string, limit int) error {
	s, ok := entry[key].(string)
	if !ok || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > limit {
		return fmt.Errorf("%s: text of 1 to %d characters required", key, limit)
	}
	return nil
}

// logIndex: a whole number ≥ 0, or null (-1).
func logIndex(entry map[string]any, key string) (int, error) {
	v := entry[key]
	if v == nil {
		return -1, nil
	}
	n, ok := asInt(v)
	if !ok || n < 0 {
		return -1, fmt.Errorf("%s: a log entry index (a whole number ≥ 0) or null required", key)
	}
	return int(n), nil
}

func withoutKeys(entry map[string]any, drop ...string) map[string]any {
	out := map[string]any{}
	for k, v := range entry {
		if !member(k, drop) {
			out[k] = v
		}
	}
	return out
}

func (st *replayState) complaint(index int, entry map[string]any) error {
	for key, set := range map[string][]string{"filer": filers, "subject": subjects, "category": categories, "body": bodies} {
		if s, _ := entry[key].(string); !member(s, set) {
			return fmt.Errorf("%s: %v is not one of %s", key, entry[key], strings.Join(set, ", "))
		}
	}
	station, isText := entry["station"].(string)
	if entry["subject"] == "station" && (!isText || station == "") {
		return fmt.Errorf("a station complaint names its station")
	}
	if entry["subject"] != "station" && entry["station"] != nil {
		return fmt.Errorf("a complaint about the %v names no station", entry["subject"])
	}
	evidence, ok := entry["evidence"].([]any)
	if ok && len(evidence) <= 50 {
		for _, h := range evidence {
			s, _ := h.(string)
			ok = ok && hex64.MatchString(s)
		}
	}
	if !ok || len(evidence) > 50 {
		return fmt.Errorf("evidence: a list of at most 50 SHA-256 hex digests")
	}
	if entry["body"] == "court" || entry["body"] == "supreme-court" {
		return fmt.Errorf("a complaint is filed with a commission; courts receive appeals")
	}
	if err := limitedText(entry, "facts", 20000); err != nil {
		return err
	}
	if err := limitedText(entry, "filed_at", 40); err != nil {
		return err
	}
	if station != "" && st.e.byStation[station] == nil {
		return fmt.Errorf("no station %q", station)
	}
	if entry["signature"] != nil {
		key, _ := entry["filer_key"].(string)
		if err := verifySigned(key, "achyk/complaint/v1", withoutKeys(entry, "kind", "signature", "filed_at"), entry["signature"]); err != nil {
			return fmt.Errorf("filer signature: %v", err)
		}
	}
	st.cases[index] = &disputeCase{complaint: index, station: station, status: "filed", body: entry["body"].(string), decisionIndex: -1, evidence: evidence}
	return nil
}

func (st *replayState) complaintStep(index int, entry map[string]any) error {
	status, _ := entry["status"].(string)
	if _, known := nextOf[status]; !known {
		return fmt.Errorf("status: %v is not a status of a complaint", entry["status"])
	}
	decision, _ := entry["decision"].(string)
	if entry["decision"] != nil && !member(decision, decisions) {
		return fmt.Errorf("decision: %v is not one of %s", entry["decision"], strings.Join(decisions, ", "))
	}
	complaint, err := logIndex(entry, "complaint")
	if err == nil && complaint < 0 {
		err = fmt.Errorf("complaint: the complaint's log entry is required")
	}
	if err != nil {
		return err
	}
	hearing, hearingText := entry["hearing"].(string)
	if entry["hearing"] != nil && (!hearingText || utf8.RuneCountInString(hearing) > 500) {
		return fmt.Errorf("hearing: text of at most 500 characters")
	}
	for key, limit := range map[string]int{"authority": 200, "at": 40, "reasons": 20000} {
		if err := limitedText(entry, key, limit); err != nil {
			return err
		}
	}
	correction, err := logIndex(entry, "correction")
	if err != nil {
		return err
	}
	id := entry["authority"].(string)
	a, known := st.e.authorityOf[id]
	if !known {
		return fmt.Errorf("%q is not an authority of the election", id)
	}
	if err := verifySigned(a.key, "achyk/complaint-step/v1", withoutKeys(entry, "kind", "signature"), entry["signature"]); err != nil {
		return fmt.Errorf("signature of %s: %v", a.id, err)
	}
	c := st.cases[complaint]
	if c == nil {
		return fmt.Errorf("log entry %d is not a filed complaint", complaint)
	}
	if !member(status, nextOf[c.status]) {
		return fmt.Errorf("a complaint that is %s cannot become %s", c.status, status)
	}
	expected := c.body
	if status == "appealed" {
		if expected = bodyAbove(c.body); expected == "" {
			return fmt.Errorf("the %s decides finally: there is no appeal", c.body)
		}
	}
	if status == "referred-to-court" && c.body != "central" {
		return fmt.Errorf("only the central commission refers a complaint to court")
	}
	if a.body != expected {
		return fmt.Errorf("%s is a %s body; the case is before the %s", a.id, a.body, expected)
	}
	if a.unit != "" {
		s := st.e.byStation[c.station]
		if s == nil || (a.unit != s.id && a.unit != s.district && a.unit != s.region) {
			return fmt.Errorf("%s has no jurisdiction over station %q", a.id, c.station)
		}
	}
	orders := decision == "recount" || decision == "annul"
	if status == "decided" {
		if decision == "" {
			return fmt.Errorf("a decision names what was decided")
		}
		if orders && c.station == "" {
			return fmt.Errorf("a %s needs a station complaint", decision)
		}
		if orders && a.body == "station" {
			return fmt.Errorf("a station body cannot order a %s", decision)
		}
	} else if entry["decision"] != nil {
		return fmt.Errorf("only a decision carries a decision (%s given)", decision)
	}
	if status == "executed" {
		if c.decision != "recount" && c.decision != "annul" {
			return fmt.Errorf("only a recount or an annulment is executed")
		}
		if c.decision == "recount" && correction < 0 {
			return fmt.Errorf("a recount is executed by a correction: name its log entry")
		}
	} else if correction >= 0 {
		return fmt.Errorf("only an executed recount names a correction")
	}
	if status == "hearing-set" && hearing == "" {
		return fmt.Errorf("a hearing names its date and place")
	}
	if correction >= 0 {
		corrected, isCorrection := st.corrected[correction]
		if !isCorrection {
			return fmt.Errorf("names log entry %d, which is not a correction", correction)
		}
		if corrected != c.station {
			return fmt.Errorf("correction %d is for station %s, the decision for %s", correction, corrected, c.station)
		}
		if c.decisionIndex >= 0 && correction < c.decisionIndex {
			return fmt.Errorf("correction %d precedes the decision", correction)
		}
	}
	c.status, c.body = status, expected
	if status == "referred-to-court" {
		c.body = "court"
	}
	if status == "decided" {
		c.decision, c.decisionIndex, c.decidedBy = decision, index, a.id
	}
	if status == "executed" {
		st.executed(index, c)
	}
	if status == "found-invalid" {
		c.wasInvalid = true
	}
	return nil
}

func (st *replayState) dispute(index int, entry map[string]any) {
	var err error
	if entry["kind"] == "complaint" {
		err = st.complaint(index, entry)
	} else {
		err = st.complaintStep(index, entry)
	}
	if err != nil {
		st.fail(index, "%v: %v", entry["kind"], err)
	}
}
