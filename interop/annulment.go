package main

// What the docket does to results.json ("Annulled stations" and "Certification that waits" in
// docs/record-format.md): an executed annulment takes a station out of every total above it, and a
// pending complaint holds the certification of the contests it affects.

import (
	"fmt"
	"sort"
	"strings"
)

type annulment struct {
	complaint, decision, executed int
	authority                     string
}

func (a annulment) json() map[string]any {
	return map[string]any{"complaint": int64(a.complaint), "decision": int64(a.decision),
		"executed": int64(a.executed), "authority": a.authority}
}

// executed: a step `executed` on a case whose decision is `annul` annuls its station, once.
func (st *replayState) executed(index int, c *disputeCase) {
	if c.decision != "annul" || c.station == "" {
		return
	}
	if _, held := st.annulled[c.station]; !held {
		st.annulled[c.station] = annulment{c.complaint, c.decisionIndex, index, c.decidedBy}
	}
}

// pending: not closed, found invalid or executed, and not decided without an order.
func (c *disputeCase) pending() bool {
	switch c.status {
	case "closed", "found-invalid", "executed":
		return false
	case "decided":
		return c.decision == "recount" || c.decision == "annul"
	}
	return true
}

// waiting: contest id → why its certification waits, from the cases pending at the log's end.
func (st *replayState) waiting() map[string]string {
	var order []int
	for i := range st.cases {
		order = append(order, i)
	}
	sort.Ints(order)
	items := map[string][]string{}
	for _, i := range order {
		c := st.cases[i]
		if !c.pending() {
			continue
		}
		s := st.e.byStation[c.station]
		for _, k := range st.e.contests {
			if c.station == "" || s == nil || k.covers(s.district) {
				items[k.id] = append(items[k.id], fmt.Sprintf("%d (before the %s)", i, c.body))
			}
		}
	}
	out := map[string]string{}
	for id, list := range items {
		out[id] = "certification waits for the pending complaints " + strings.Join(list, ", ")
	}
	return out
}
