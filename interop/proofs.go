package main

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// inclusionProofs: an RFC 9162 inclusion proof for every entry, from the verified tiles.
func inclusionProofs(hr tlog.HashReader, cp checkpoint, entries [][]byte) []string {
	var problems []string
	for i, e := range entries {
		proof, err := tlog.ProveRecord(cp.size, int64(i), hr)
		if err == nil {
			err = tlog.CheckRecord(proof, cp.size, cp.root, int64(i), tlog.RecordHash(e))
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("entry %d: %v", i, err))
		}
	}
	return problems
}
