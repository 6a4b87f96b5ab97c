package main

// Replaying the log: every entry judged in order against the definition and what came before.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

type slotKey struct{ station, contest, kind string }

type held struct {
	index int
	hash  string
	p     *protocol
}

type replayState struct {
	e            *election
	defHash      string
	backups      map[string]map[string]bool
	slots        map[slotKey]held
	problems     []string
	counts       map[string]int
	parts        map[string]map[int64]int64
	remote       []indexed
	rejections   int
	cases        map[int]*disputeCase // complaint log index → its case so far
	corrected    map[int]string       // correction log index → the station it corrects
	annulled     map[string]annulment // station → the executed annulment that took it out of the count
	released     map[int][]string     // complaint → the hashes of its evidence published after the decision
	imported     map[string]any       // entry 1 of an imported election
	unsigned     int                  // imported protocols
	abroad       map[string]int64     // register root → voters at stations with a country
	abroadVoters int64                // of the latest register commitment; -1: none
	obs          *observerState
	audit        auditState
}

type indexed struct {
	index int
	entry map[string]any
}

var knownKinds = map[string]bool{
	"definition": true, "protocol": true, "rejection": true, "device-switch": true, "correction": true,
	"register-commitment": true, "register-move": true, "log-key-rotation": true,
	"mission-accreditation": true, "observer-registration": true, "deployment-plan": true,
	"observation": true, "observation-content": true, "protocol-copy": true, "station-change": true, "lto-areas": true, "mission-statement": true, "mission-forms": true,
	"audit-seed": true, "audit-round": true, "audit-count": true, "audit-ballots": true, "audit-decision": true, "complaint": true, "complaint-step": true, "evidence-release": true,
	"imported-results": true, "imported-protocol": true,
	"remote-trustees": true, "remote-dealing": true, "remote-complaint": true, "remote-ceremony": true, "remote-params": true, "remote-credentials": true,
	"remote-ballot": true, "remote-close": true, "remote-decryption": true, "remote-tally": true,
}

func (st *replayState) fail(index int, format string, args ...any) {
	st.problems = append(st.problems, fmt.Sprintf("log entry %d: ", index)+fmt.Sprintf(format, args...))
}

func replay(entries [][]byte, definition any, evidence func(int) ([]byte, bool)) *replayState {
	st := &replayState{backups: map[string]map[string]bool{}, slots: map[slotKey]held{},
		counts: map[string]int{}, parts: map[string]map[int64]int64{},
		obs: &observerState{missions: map[string]mission{}, observers: map[[2]string]observer{},
			plans: map[string]bool{}, observations: map[int]*observation{}, keys: map[string]bool{}},
		audit: auditState{audits: map[string]*contestAudit{}},
		cases: map[int]*disputeCase{}, corrected: map[int]string{}, annulled: map[string]annulment{}, released: map[int][]string{}, abroad: map[string]int64{}, abroadVoters: -1}
	for index, raw := range entries {
		v, err := parseJSON(raw)
		if err != nil {
			st.fail(index, "not JSON: %v", err)
			continue
		}
		entry, ok := v.(map[string]any)
		if c, err := canonical(v); !ok || err != nil || !bytes.Equal(c, raw) {
			st.fail(index, "not in RFC 8785 canonical form")
			continue
		}
		kind, _ := entry["kind"].(string)
		st.counts[kind]++
		if index == 0 {
			st.definition(entry, definition)
			continue
		}
		if !knownKinds[kind] || kind == "definition" {
			st.fail(index, "unexpected entry kind %q", kind)
			continue
		}
		if st.e == nil {
			continue
		}
		if eid, _ := entry["election"].(string); eid != st.e.id {
			st.fail(index, "belongs to election %v", entry["election"])
			continue
		}
		switch {
		case kind == "protocol":
			st.protocol(index, entry)
		case kind == "correction":
			st.correction(index, entry)
			if p, _ := entry["protocol"].(map[string]any); p != nil {
				if s, ok := p["station"].(string); ok {
					st.corrected[index] = s
				}
			}
		case kind == "complaint" || kind == "complaint-step":
			st.dispute(index, entry)
		case kind == "evidence-release":
			st.evidenceRelease(index, entry)
		case kind == "log-key-rotation": // checked with the checkpoints it re-keys (logKeys)
		case strings.HasPrefix(kind, "audit-"):
			st.auditEntry(index, entry)
		case observerPurposes[kind] != "":
			st.observerEntry(index, entry)
		case strings.HasPrefix(kind, "imported-"):
			st.importedEntry(index, entry)
		case kind == "device-switch":
			st.deviceSwitch(index, entry)
		case kind == "rejection":
			raw, present := evidence(index)
			st.rejection(index, entry, raw, present)
		case strings.HasPrefix(kind, "remote-"):
			st.remote = append(st.remote, indexed{index, entry})
		default:
			st.register(index, entry)
		}
	}
	if st.e != nil {
		st.auditFinish()
		st.missionRolesFinish()
	}
	return st
}

func (st *replayState) definition(entry map[string]any, definition any) {
	if entry["kind"] != "definition" {
		st.fail(0, "the first entry must be the election definition")
		return
	}
	c, err := canonical(definition)
	if err != nil {
		st.fail(0, "definition.json has no canonical form: %v", err)
		return
	}
	sum := sha256.Sum256(c)
	digest := hex.EncodeToString(sum[:])
	if entry["definition_sha256"] != digest {
		st.fail(0, "definition.json hashes to %s, the log says %v", digest, entry["definition_sha256"])
		return
	}
	e, problems := readDefinition(definition)
	if len(problems) > 0 {
		st.fail(0, "the definition does not validate: %s", strings.Join(problems, "; "))
		return
	}
	if entry["election"] != e.id {
		st.fail(0, "names election %v, the definition %q", entry["election"], e.id)
	}
	st.e, st.defHash = e, digest
}

func (st *replayState) protocol(index int, entry map[string]any) {
	p, problems := examine(st.e, entry["protocol"], entry["device"], entry["signature"], st.backups)
	if p == nil {
		st.fail(index, "accepted protocol fails: %s", strings.Join(problems, "; "))
		return
	}
	key := slotKey{p.station, p.contest, p.kind}
	if h, ok := st.slots[key]; ok {
		st.fail(index, "second protocol for station %s %s/%s (entry %d) without a correction", key.station, key.contest, key.kind, h.index)
		return
	}
	st.slots[key] = held{index, documentHash(entry["protocol"]), p}
}

func (st *replayState) correction(index int, entry map[string]any) {
	var problems []string
	for _, k := range []string{"supersedes_hash", "reason", "authority", "signature"} {
		if !nonEmpty(entry[k]) {
			problems = append(problems, k+": required (a non-empty string)")
		}
	}
	p, shape := readProtocol(entry["protocol"], st.e.form)
	problems = append(problems, shape...)
	if p != nil {
		problems = append(problems, belongs(p, st.e)...)
		problems = append(problems, relations(p, st.e.form)...)
	}
	authority, _ := entry["authority"].(string)
	key, known := st.e.authorities[authority]
	if !known {
		problems = append(problems, fmt.Sprintf("authority: %q is not an authority of this election", authority))
	} else {
		statement := map[string]any{"protocol": entry["protocol"], "supersedes": entry["supersedes_hash"], "reason": entry["reason"]}
		if err := verifySigned(key, "achyk/correction/v1", statement, entry["signature"]); err != nil {
			problems = append(problems, fmt.Sprintf("signature: authority %s: %v", authority, err))
		}
	}
	if len(problems) > 0 || p == nil {
		st.fail(index, "correction fails: %s", strings.Join(problems, "; "))
		return
	}
	slot := slotKey{p.station, p.contest, p.kind}
	h, ok := st.slots[slot]
	supersedes, isInt := asInt(entry["supersedes"])
	if !ok || !isInt || supersedes != int64(h.index) || entry["supersedes_hash"] != h.hash {
		st.fail(index, "correction supersedes entry %v, which is not the current protocol of station %s %s/%s", entry["supersedes"], slot.station, slot.contest, slot.kind)
		return
	}
	st.slots[slot] = held{index, documentHash(entry["protocol"]), p}
}

func (st *replayState) deviceSwitch(index int, entry map[string]any) {
	id, _ := entry["station"].(string)
	s := st.e.byStation[id]
	if s == nil {
		st.fail(index, "device switch at unknown station %v", entry["station"])
		return
	}
	for _, k := range []string{"from", "to"} {
		name, _ := entry[k].(string)
		if s.device(name) == nil {
			st.fail(index, "device switch names unregistered device %v", entry[k])
			return
		}
	}
	if st.backups[s.id] == nil {
		st.backups[s.id] = map[string]bool{}
	}
	st.backups[s.id][entry["to"].(string)] = true
}

func (st *replayState) rejection(index int, entry map[string]any, raw []byte, present bool) {
	st.rejections++
	if !present {
		// Withheld evidence hides what was refused: every rejection's bytes must be published.
		st.fail(index, "the rejected submission's evidence (evidence/%d.bin) is not published", index)
		return
	}
	sum := sha256.Sum256(raw)
	if kept, partial := entry["evidence_sha256"]; partial { // past 1 MiB: its first bytes kept
		size, ok := asInt(entry["submission_bytes"])
		if kept != hex.EncodeToString(sum[:]) {
			st.fail(index, "published evidence does not match the rejection's evidence_sha256")
		} else if !ok || size <= 1<<20 {
			st.fail(index, "a submission kept in part must be over the size limit")
		}
		return
	}
	if entry["submission_sha256"] != hex.EncodeToString(sum[:]) {
		st.fail(index, "published evidence does not match the rejection's submission_sha256")
		return
	}
	// Judged at this point of the log, as a protocol and as a correction, from their signed
	// fields alone, the same bytes must fail, or find their slot taken (or superseded).
	v, err := parseJSON(raw)
	envelope, ok := v.(map[string]any)
	if err != nil || !ok {
		return // not even a JSON object: rightly refused
	}
	p, problems := examine(st.e, envelope["protocol"], envelope["device"], envelope["signature"], st.backups)
	if p != nil && len(problems) == 0 {
		if _, taken := st.slots[slotKey{p.station, p.contest, p.kind}]; !taken {
			st.fail(index, "a valid protocol for station %s was rejected", p.station)
			return
		}
	}
	if c, supersedes := st.validCorrection(envelope["protocol"], envelope["supersedes"], envelope["reason"], envelope["authority"], envelope["signature"]); c != nil {
		if h, held := st.slots[slotKey{c.station, c.contest, c.kind}]; held && h.hash == supersedes {
			st.fail(index, "a valid correction for station %s was rejected", c.station)
		}
	}
}

// validCorrection: the protocol of a correction that passes every check but its slot's, and
// the document hash it supersedes; nil when it fails.
func (st *replayState) validCorrection(doc, supersedes, reason, authority, signature any) (*protocol, string) {
	for _, v := range []any{supersedes, reason, authority, signature} {
		if !nonEmpty(v) {
			return nil, ""
		}
	}
	p, problems := readProtocol(doc, st.e.form)
	if p == nil || len(problems) > 0 || len(belongs(p, st.e)) > 0 || len(relations(p, st.e.form)) > 0 {
		return nil, ""
	}
	key, known := st.e.authorities[authority.(string)]
	statement := map[string]any{"protocol": doc, "supersedes": supersedes, "reason": reason}
	if !known || verifySigned(key, "achyk/correction/v1", statement, signature) != nil {
		return nil, ""
	}
	return p, supersedes.(string)
}

func (st *replayState) register(index int, entry map[string]any) {
	var stations []string
	if entry["kind"] == "register-move" {
		from, _ := entry["from"].(string)
		to, _ := entry["to"].(string)
		stations = []string{from, to}
	} else {
		per, ok := entry["voters_per_station"].(map[string]any)
		var total int64
		for _, v := range per {
			n, isInt := asInt(v)
			ok = ok && isInt && n >= 0
			total += n
		}
		if !ok {
			st.fail(index, "register commitment without valid voters_per_station")
			return
		}
		count, _ := asInt(entry["count"])
		if _, multi := entry["parts"]; multi {
			root := fmt.Sprint(entry["merkle_root"])
			if st.parts[root] == nil {
				st.parts[root] = map[int64]int64{}
			}
			part, _ := asInt(entry["part"])
			st.parts[root][part] = total
			nparts, _ := asInt(entry["parts"])
			var sum int64
			for _, n := range st.parts[root] {
				sum += n
			}
			if int64(len(st.parts[root])) == nparts && sum != count {
				st.fail(index, "register commitment: count %d ≠ sum over the stations of its %d parts %d", count, nparts, sum)
			}
		} else if total != count {
			st.fail(index, "register commitment: count %v ≠ sum over stations %d", entry["count"], total)
		}
		// Voters at stations abroad (with a country): no more remote credentials than this.
		root := fmt.Sprint(entry["merkle_root"])
		for s, v := range per {
			stations = append(stations, s)
			if place := st.e.byStation[s]; place != nil && place.country != "" {
				n, _ := asInt(v)
				st.abroad[root] += n
			}
		}
		st.abroadVoters = st.abroad[root]
		sort.Strings(stations)
	}
	for _, s := range stations {
		if st.e.byStation[s] == nil {
			st.fail(index, "%v names unknown station %q", entry["kind"], s)
			return
		}
	}
}
