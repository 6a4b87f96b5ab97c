// Command achyk-verify-go checks a public achyk election record, written from
// docs/record-format.md alone: an independent second implementation of `achyk verify`.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

const maxListed = 20

type report struct{ failed bool }

func (r *report) add(name string, problems []string, detail string) {
	if len(problems) == 0 {
		if detail != "" {
			fmt.Printf("OK   %s — %s\n", name, detail)
		} else {
			fmt.Printf("OK   %s\n", name)
		}
		return
	}
	r.failed = true
	fmt.Printf("FAIL %s\n", name)
	for i, p := range problems {
		if i == maxListed {
			fmt.Printf("       … and %d more\n", len(problems)-maxListed)
			break
		}
		fmt.Printf("       %s\n", p)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type trustFile struct {
	Format           int    `json:"format"`
	Election         string `json:"election"`
	DefinitionSHA256 string `json:"definition_sha256"`
	Origin           string `json:"origin"`
	LogKey           string `json:"log_key"`
	Witnesses        []struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	} `json:"witnesses"`
	Quorum int `json:"quorum"`
}

func main() {
	trustPath := flag.String("trust", "", "the election's trust file (log key, witnesses, quorum)")
	logKey := flag.String("log-key", "", "pin the log's verifier key (C2SP vkey)")
	quorum := flag.Int("quorum", -1, "cosignatures needed from the pinned witnesses (default: all of them)")
	var witnesses multi
	flag.Var(&witnesses, "witness", "pin a witness's cosignature key (vkey); repeatable")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: achyk-verify-go [flags] RECORD_DIR_OR_URL\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	// A malformed record must give a named failure, never a crash.
	defer func() {
		if err := recover(); err != nil {
			fmt.Printf("FAIL the record could not be read to the end\n       %v\n", err)
			os.Exit(1)
		}
	}()
	ok := verify(flag.Arg(0), *trustPath, *logKey, witnesses, *quorum)
	if !ok {
		os.Exit(1)
	}
	fmt.Println("the record verifies")
}

func verify(location, trustPath, pinnedKey string, witnessKeys []string, quorum int) bool {
	r := &report{}
	src := newSource(location)
	var trust *trustFile
	if trustPath != "" {
		data, err := os.ReadFile(trustPath)
		trust = &trustFile{}
		if err == nil {
			dec := json.NewDecoder(strings.NewReader(string(data)))
			err = dec.Decode(trust)
		}
		if err == nil && trust.Format != 1 {
			err = fmt.Errorf("format %d is not 1", trust.Format)
		}
		if err == nil {
			err = strictTrust(data, trust)
		}
		if err != nil {
			r.add("trust file", []string{fmt.Sprintf("%s: %v", trustPath, err)}, "")
			return false
		}
		if pinnedKey == "" {
			pinnedKey = trust.LogKey
		}
		for _, w := range trust.Witnesses {
			witnessKeys = append(witnessKeys, w.Key)
		}
		if quorum < 0 {
			quorum = trust.Quorum
		}
	}
	raw, err := src.read("record.json")
	var record map[string]any
	if err == nil {
		var v any
		v, err = parseJSON(raw)
		record, _ = v.(map[string]any)
		if err == nil && record == nil {
			err = errors.New("not a JSON object")
		}
	}
	recordKey, _ := record["log_key"].(string)
	origin, _ := record["origin"].(string)
	if err != nil || recordKey == "" || origin == "" {
		if err == nil {
			err = errors.New("log_key and origin are required")
		}
		r.add("record.json", []string{fmt.Sprintf("missing or malformed: %v", err)}, "")
		return false
	}

	// The log key: pinned from outside the record, or (said so) the record's own.
	var keyProblems []string
	keyDetail := "taken from record.json itself: NOT PINNED (pass -trust or -log-key)"
	vkey := recordKey
	if pinnedKey != "" {
		vkey = pinnedKey // the latest key; a logged rotation names the earlier ones
		keyDetail = "pinned"
		if recordKey != pinnedKey {
			keyProblems = append(keyProblems, fmt.Sprintf("record.json names log key %s, the pinned key is %s", recordKey, pinnedKey))
		}
	}
	if trust != nil {
		if trust.Origin != origin {
			keyProblems = append(keyProblems, fmt.Sprintf("record.json names origin %q, the trust file %q", origin, trust.Origin))
			origin = trust.Origin
		}
		if rec, _ := record["election"].(string); rec != trust.Election {
			keyProblems = append(keyProblems, fmt.Sprintf("record.json is election %q, the trust file %q", rec, trust.Election))
		}
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		keyProblems = append(keyProblems, fmt.Sprintf("log key %q: %v", vkey, err))
	}
	r.add("log key", keyProblems, keyDetail+": "+vkey)
	if verifier == nil {
		return false
	}

	noteBytes, err := src.read("log/checkpoint")
	var cp checkpoint
	if err == nil {
		cp, err = openCheckpoint(noteBytes, verifier, origin)
	}
	if err != nil {
		r.add("checkpoint signature", []string{err.Error()}, "")
		return false
	}
	r.add("checkpoint signature", nil, fmt.Sprintf("size %d, root %x", cp.size, cp.root[:]))
	// Over HTTP the log may grow between two requests; a static record must agree with itself.
	if size, ok := asInt(record["size"]); !src.remote && (!ok || size != cp.size) {
		r.add("record.json size", []string{fmt.Sprintf("record.json says size %v, the checkpoint %d", record["size"], cp.size)}, "")
	}

	// Witnesses: the pinned ones (else the record's own) must reach the pinned quorum (else the
	// record's); a cosignature line by one of them that does not verify fails.
	var cosProblems []string
	listed, _ := record["witnesses"].([]any)
	pinnedWitnesses := len(witnessKeys) > 0
	if !pinnedWitnesses {
		for _, w := range listed {
			key, _ := w.(string)
			if m, isObj := w.(map[string]any); isObj {
				key, _ = m["key"].(string)
			}
			witnessKeys = append(witnessKeys, key)
		}
	}
	if quorum < 0 && pinnedWitnesses {
		quorum = len(witnessKeys) // -witness without -quorum: every pinned witness
	}
	if quorum < 0 {
		quorum = 0
		if q, ok := asInt(record["quorum"]); ok {
			quorum = int(q)
		}
	}
	good := 0
	var missing []string
	for _, key := range witnessKeys {
		v, err := parseWitnessKey(key)
		if err == nil {
			err = cosigned(noteBytes, v)
		}
		var absent *note.UnverifiedNoteError
		switch {
		case err == nil:
			good++
		case errors.As(err, &absent):
			missing = append(missing, key)
		default:
			cosProblems = append(cosProblems, fmt.Sprintf("witness %s: %v", key, err))
		}
	}
	if good < quorum {
		cosProblems = append(cosProblems, fmt.Sprintf("only %d of the %d witness cosignatures required are on the latest checkpoint (missing: %s)", good, quorum, strings.Join(missing, ", ")))
	}
	whose := "the record's own"
	if pinnedWitnesses {
		whose = "pinned"
	}
	r.add("witness cosignatures", cosProblems, fmt.Sprintf("%d of %d %s witnesses cosigned, quorum %d", good, len(witnessKeys), whose, quorum))

	hr, entries, ntiles, err := verifyLog(src, cp)
	if err != nil {
		r.add("Merkle tree (tiles and entry bundles) against the checkpoint", []string{err.Error()}, "")
		return false
	}
	r.add("Merkle tree (tiles and entry bundles) against the checkpoint", nil, fmt.Sprintf("%d tiles, %d entries", ntiles, len(entries)))
	r.add("inclusion proof of every entry", inclusionProofs(hr, cp, entries), "")

	// The checkpoints are those listed under log/checkpoints/ (record.json's list must be the same;
	// over HTTP, where the log grows, among them); each is verified under the key that signed it.
	var historyProblems []string
	keyAt, rotationProblems := logKeys(entries, vkey)
	historyProblems = append(historyProblems, rotationProblems...)
	stated := map[int64]bool{}
	cps, isList := record["checkpoints"].([]any)
	for _, x := range cps {
		n, ok := asInt(x)
		isList = isList && ok
		stated[n] = true
	}
	files, _ := src.listCheckpoints()
	var ordered []int64
	shown := map[int64]bool{}
	for _, n := range files {
		if n < 0 {
			historyProblems = append(historyProblems, "log/checkpoints/ holds a file not named by a tree size")
			continue
		}
		if src.remote && n > cp.size {
			continue // appended after the checkpoint was read
		}
		shown[n] = true
		ordered = append(ordered, n)
	}
	same := isList && len(stated) == len(cps)
	for n := range stated {
		same = same && shown[n]
	}
	if !src.remote {
		same = same && len(stated) == len(shown)
	}
	if !same {
		historyProblems = append(historyProblems, "record.json's checkpoints list is not the checkpoints published under log/checkpoints/")
	}
	if !shown[cp.size] {
		historyProblems = append(historyProblems, fmt.Sprintf("the latest checkpoint (size %d) is not among log/checkpoints/", cp.size))
	}
	for _, n := range ordered {
		path := fmt.Sprintf("log/checkpoints/%d", n)
		if n > cp.size {
			historyProblems = append(historyProblems, fmt.Sprintf("%s is ahead of the latest checkpoint (%d)", path, cp.size))
			continue
		}
		data, err := src.read(path)
		var old checkpoint
		var v note.Verifier
		if err == nil {
			v, err = note.NewVerifier(keyAt(n))
		}
		if err == nil {
			old, err = openCheckpoint(data, v, origin)
		}
		if err == nil && old.size != n {
			err = fmt.Errorf("states size %d", old.size)
		}
		if err == nil {
			err = consistent(hr, cp, old)
		}
		if err != nil {
			historyProblems = append(historyProblems, fmt.Sprintf("%s: %v", path, err))
		}
	}
	if !src.remote {
		for _, path := range earlierPartialTiles(cp.size, ordered) {
			if _, err := src.read("log/" + path); err != nil {
				historyProblems = append(historyProblems, fmt.Sprintf("log/%s (a partial tile of an earlier checkpoint, which tlog-tiles requires) is missing", path))
			}
		}
	}
	r.add("earlier checkpoints consistent with this one", historyProblems, fmt.Sprintf("%d checkpoints", len(ordered)))

	defRaw, err := src.read("definition.json")
	var definition any
	if err == nil {
		definition, err = parseJSON(defRaw)
	}
	if err != nil {
		r.add("definition.json", []string{fmt.Sprintf("missing or malformed: %v", err)}, "")
		return false
	}
	evidence := func(i int) ([]byte, bool) {
		data, err := src.read(fmt.Sprintf("evidence/%d.bin", i))
		return data, err == nil
	}
	st := replay(entries, definition, evidence)
	var kinds []string
	for k, n := range st.counts {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	r.add("every entry: canonical form, signatures, control relations, corrections", st.problems, strings.Join(kinds, ", "))
	if st.e == nil {
		return false
	}
	r.add("record.json as the log and definition state it", recordHeader(record, st.e, cp.size, src.remote), "")
	if len(st.cases) > 0 {
		problems, summary := checkReleased(st, src.read)
		r.add("complaints: decided evidence published (redacted) or withheld with a reason", problems, summary)
	}
	if len(st.obs.missions) > 0 { // findings, not failures: said as achyk verify says them
		for _, f := range copyFindings(st) {
			fmt.Printf("FLAGGED %s\n", f)
		}
	}
	if trust != nil && trust.DefinitionSHA256 != st.defHash {
		r.add("definition pinned by the trust file", []string{fmt.Sprintf("the log's definition is %s, the trust file names %s", st.defHash, trust.DefinitionSHA256)}, "")
	}
	var folded []*protocol
	for _, h := range st.slots {
		folded = append(folded, h.p)
	}
	nslots := len(folded)
	if len(st.remote) > 0 {
		rr := checkRemote(st)
		r.add("remote voting: ceremony, credentials, ballots and their proofs, re-votes, challenges, tally", rr.problems, rr.summary)
		folded = append(folded, rr.protocols...)
	}
	computed, stationDocs, allUnits, seatProblems := resultsDocument(st.e, folded, st.annulled, st.waiting())
	var diffs []string
	compare := func(path string, computed any, prefix string) {
		pubRaw, err := src.read(path)
		var published any
		if err == nil {
			published, err = parseJSON(pubRaw)
		}
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: missing or malformed: %v", path, err))
			return
		}
		differences(published, computed, prefix, &diffs)
	}
	compare("results.json", computed, "")
	for _, reg := range st.e.regions {
		path := "results/stations/" + reg.id + ".json"
		compare(path, stationDocs[reg.id], path+":")
	}
	r.add("published results and seats recomputed from the log", append(seatProblems, diffs...), fmt.Sprintf("%d protocols folded", nslots))
	if st.imported != nil { // a status, not a failure: said on every report of such a record
		r.add(fmt.Sprintf("imported, not signed: results copied from a publication (%v, sha256 %v)",
			st.imported["source"], st.imported["source_sha256"]), nil, fmt.Sprintf("%d protocols without signatures", st.unsigned))
	}
	if !src.remote { // a live server has no manifest or site files
		problems, n := checkFiles(src, cp.size, hr, entries)
		problems = append(problems, checkSiteFigures(src, st.e, allUnits)...)
		r.add("every published file recomputed or in manifest.json; site figures from the log (not nist.json)", problems, fmt.Sprintf("%d files in the manifest", n))
	}
	if raw, err := src.read("anomalies.json"); st.e.form != nil || err == nil {
		var problems []string
		computed := anomalies(st)
		published, perr := parseJSON(raw)
		if err == nil {
			err = perr
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("anomalies.json: missing or malformed: %v", err))
		} else {
			differences(published, computed, "anomalies.json", &problems)
		}
		listed, _ := computed["protocols"].([]any)
		r.add("anomalies the protocol form flags, recomputed from the log", problems, fmt.Sprintf("%d flagged protocols", len(listed)))
	}
	return !r.failed
}

// recordHeader: record.json's own fields are what the definition and the checkpoint say, and it
// has no other field.
func recordHeader(record map[string]any, e *election, size int64, remote bool) []string {
	var problems []string
	want := map[string]any{"format": int64(1), "election": e.id, "name": e.name, "size": size}
	if stated, ok := asInt(record["size"]); remote && ok && stated <= size {
		want["size"] = stated // read before the checkpoint, from a growing log
	}
	for _, k := range []string{"format", "election", "name", "size"} {
		if !reflect.DeepEqual(normalise(record[k]), want[k]) {
			problems = append(problems, fmt.Sprintf("record.json's %s is %v, not %v", k, record[k], want[k]))
		}
	}
	witnesses := []any{}
	for _, w := range e.witnesses {
		witnesses = append(witnesses, map[string]any{"name": w[0], "key": w[1]})
	}
	if !reflect.DeepEqual(normalise(record["witnesses"]), witnesses) || !reflect.DeepEqual(normalise(record["quorum"]), e.quorum) {
		problems = append(problems, "record.json's witnesses and quorum are not the definition's")
	}
	known := map[string]bool{"format": true, "election": true, "name": true, "origin": true, "log_key": true,
		"size": true, "checkpoints": true, "witnesses": true, "quorum": true}
	for _, k := range sortedKeys(record) {
		if !known[k] {
			problems = append(problems, fmt.Sprintf("record.json has an unknown field %q", k))
		}
	}
	return problems
}

// strictTrust: exactly the fields of the format, an Ed25519 (0x01) log key, cosignature (0x04)
// witness keys with distinct names, and 0 ≤ quorum ≤ the witnesses.
func strictTrust(data []byte, t *trustFile) error {
	v, err := parseJSON(data)
	m, _ := v.(map[string]any)
	if err != nil || m == nil {
		return fmt.Errorf("not a JSON object")
	}
	want := []string{"definition_sha256", "election", "format", "log_key", "origin", "quorum", "witnesses"}
	if !reflect.DeepEqual(sortedKeys(m), want) {
		return fmt.Errorf("trust file must hold exactly the fields %v", want)
	}
	if t.Election == "" || !hex64.MatchString(t.DefinitionSHA256) || t.Origin == "" {
		return errors.New("election, origin (non-empty) and definition_sha256 (64 lowercase hex digits) are required")
	}
	parts := strings.SplitN(t.LogKey, "+", 3)
	if len(parts) != 3 {
		return fmt.Errorf("log key %q is not name+hash+key", t.LogKey)
	}
	if raw, err := base64.StdEncoding.Strict().DecodeString(parts[2]); err != nil || len(raw) != 33 || raw[0] != 0x01 {
		return fmt.Errorf("log key %q is not an Ed25519 (0x01) verifier key", t.LogKey)
	}
	names := map[string]bool{}
	for i, w := range t.Witnesses {
		if _, err := parseWitnessKey(w.Key); err != nil {
			return fmt.Errorf("witness %d: %v", i+1, err)
		}
		name := strings.SplitN(w.Key, "+", 2)[0]
		if names[name] {
			return errors.New("two pinned witness keys share a name")
		}
		names[name] = true
	}
	if q, ok := asInt(m["quorum"]); !ok || q < 0 || q > int64(len(t.Witnesses)) {
		return fmt.Errorf("quorum %v must be a whole number from 0 to the %d witness(es) pinned", m["quorum"], len(t.Witnesses))
	}
	return nil
}
