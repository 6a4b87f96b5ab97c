package main

// Imported results ("Imported results" in docs/record-format.md): entry 1 says the election was
// copied from a publication; each imported protocol belongs to the election, fills an empty slot,
// and lists exactly the control relations it breaks — none hidden, none invented.

import "reflect"

func (st *replayState) importedEntry(index int, entry map[string]any) {
	if entry["kind"] == "imported-results" {
		if index != 1 {
			st.fail(index, "imported-results may only be entry 1 (it sets the election's status)")
			return
		}
		src, _ := entry["source_sha256"].(string)
		mapping, _ := entry["mapping_sha256"].(string)
		_, isText := entry["source"].(string)
		if _, isInt := asInt(entry["rows"]); !isInt || !isText || !hex64.MatchString(src) || !hex64.MatchString(mapping) {
			st.fail(index, "imported-results needs source, source_sha256 and mapping_sha256 (hex), rows")
			return
		}
		st.imported = entry
		return
	}
	if st.imported == nil {
		st.fail(index, "imported protocol in an election whose entry 1 is not imported-results")
		return
	}
	p, problems := readProtocol(entry["protocol"], nil)
	if p == nil {
		st.fail(index, "imported protocol does not parse: %v", problems)
		return
	}
	if foreign := belongs(p, st.e); len(foreign) > 0 {
		st.fail(index, "imported protocol: %v", foreign)
		return
	}
	broken := []any{}
	for _, b := range standardRelations(p) {
		broken = append(broken, b)
	}
	listed, _ := entry["problems"].([]any)
	if listed == nil || !reflect.DeepEqual(listed, broken) {
		st.fail(index, "imported protocol of station %s: the entry lists %v, the protocol breaks %v", p.station, entry["problems"], broken)
		return
	}
	key := slotKey{p.station, p.contest, p.kind}
	if h, taken := st.slots[key]; taken {
		st.fail(index, "second protocol for station %s %s/%s (entry %d) without a correction", key.station, key.contest, key.kind, h.index)
		return
	}
	st.slots[key] = held{index, documentHash(entry["protocol"]), p}
	st.unsigned++
}
