package main

// Complaints' evidence released after the decision ("Evidence released after the decision" in
// docs/record-format.md): an `evidence-release` entry names a decided complaint and, for each of
// its evidence files in order, the hash of the redacted file published in its place or null, with
// a note; every decided complaint with evidence has one, and every published file is in the
// record under complaints/evidence/<sha256>.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

func (c *disputeCase) decidedOrInvalid() bool {
	return c.decision != "" || c.wasInvalid
}

func (st *replayState) evidenceRelease(index int, entry map[string]any) {
	if err := st.release(entry); err != nil {
		st.fail(index, "evidence-release: %v", err)
	}
}

func (st *replayState) release(entry map[string]any) error {
	if len(entry) != 4 || entry["complaint"] == nil || entry["files"] == nil {
		return fmt.Errorf("an evidence release has kind, election, complaint and files only")
	}
	n, ok := asInt(entry["complaint"])
	c := st.cases[int(n)]
	if !ok || c == nil {
		return fmt.Errorf("names log entry %v, which is not a filed complaint", entry["complaint"])
	}
	if !c.decidedOrInvalid() {
		return fmt.Errorf("complaint %d is released before it is decided", n)
	}
	if _, twice := st.released[int(n)]; twice {
		return fmt.Errorf("complaint %d's evidence is released twice", n)
	}
	files, _ := entry["files"].([]any)
	if len(files) != len(c.evidence) {
		return fmt.Errorf("the files are not complaint %d's evidence, in order", n)
	}
	var published []string
	for i, fv := range files {
		f, _ := fv.(map[string]any)
		if f == nil || f["original_sha256"] != c.evidence[i] {
			return fmt.Errorf("the files are not complaint %d's evidence, in order", n)
		}
		if len(f) != 3 {
			return fmt.Errorf("a released file has original_sha256, published_sha256, note")
		}
		if _, present := f["published_sha256"]; !present {
			return fmt.Errorf("a released file has original_sha256, published_sha256, note")
		}
		note, isText := f["note"].(string)
		if !isText || strings.TrimSpace(note) == "" || utf8.RuneCountInString(note) > 2000 {
			return fmt.Errorf("every released or withheld file states why, in its note")
		}
		if f["published_sha256"] != nil {
			h, isHex := f["published_sha256"].(string)
			if !isHex || !hex64.MatchString(h) {
				return fmt.Errorf("published_sha256: a SHA-256 hex digest or null")
			}
			published = append(published, h)
		}
	}
	st.released[int(n)] = published
	return nil
}

// checkReleased: every decided complaint with evidence released, every published file present.
func checkReleased(st *replayState, read func(string) ([]byte, error)) ([]string, string) {
	var problems []string
	var order []int
	for i := range st.cases {
		order = append(order, i)
	}
	sort.Ints(order)
	files := 0
	for _, i := range order {
		c := st.cases[i]
		published, released := st.released[i]
		if len(c.evidence) > 0 && c.decidedOrInvalid() && !released {
			problems = append(problems, fmt.Sprintf("complaint %d is decided but its evidence is neither published nor withheld with a reason (no evidence-release entry)", i))
		}
		for _, h := range published {
			path := "complaints/evidence/" + h
			data, err := read(path)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s (complaint %d): missing: %v", path, i, err))
				continue
			}
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != h {
				problems = append(problems, fmt.Sprintf("%s (complaint %d) does not hash to its name", path, i))
			}
			files++
		}
	}
	return problems, fmt.Sprintf("%d complaints released, %d files published", len(st.released), files)
}
