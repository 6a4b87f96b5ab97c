package main

// Every file accounted for ("Every file accounted for" in docs/record-format.md): in a record
// directory each file is one the verifier checks byte for byte (the documents, checkpoints,
// evidence of a rejection, every tile and entry bundle recomputed from the verified tree), or is
// listed in manifest.json with its SHA-256. The site's figures are NOT recomputed here.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

var (
	checkpointFile = regexp.MustCompile(`^log/checkpoints/(0|[1-9][0-9]*)$`)
	evidenceFile   = regexp.MustCompile(`^evidence/(0|[1-9][0-9]*)\.bin$`)
	fixedFiles     = map[string]bool{"record.json": true, "definition.json": true, "results.json": true,
		"manifest.json": true, "log/checkpoint": true}
)

// tileBytes: what a tlog-tiles log serves at path (under log/), from the verified tree.
func tileBytes(path string, size int64, hr tlog.HashReader, entries [][]byte) ([]byte, error) {
	rest := strings.TrimPrefix(path, "log/tile/")
	goPath := fmt.Sprintf("tile/%d/%s", tileHeight, rest)
	if strings.HasPrefix(rest, "entries/") {
		goPath = fmt.Sprintf("tile/%d/data/%s", tileHeight, strings.TrimPrefix(rest, "entries/"))
	}
	t, err := tlog.ParseTilePath(goPath)
	if err != nil || c2spTilePath(t) != strings.TrimPrefix(path, "log/") {
		return nil, fmt.Errorf("not a tile path")
	}
	start := t.N * 256
	if t.L == -1 {
		if start+int64(t.W) > size {
			return nil, fmt.Errorf("beyond the log's %d entries", size)
		}
		var out []byte
		for _, e := range entries[start : start+int64(t.W)] {
			out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
			out = append(out, e...)
		}
		return out, nil
	}
	if start+int64(t.W) > size>>(tileHeight*t.L) {
		return nil, fmt.Errorf("no such tile at size %d", size)
	}
	idx := make([]int64, t.W)
	for k := range idx {
		idx[k] = tlog.StoredHashIndex(t.L*tileHeight, start+int64(k))
	}
	hashes, err := hr.ReadHashes(idx)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, h := range hashes {
		out = append(out, h[:]...)
	}
	return out, nil
}

func checkFiles(src *source, size int64, hr tlog.HashReader, entries [][]byte) ([]string, int) {
	var problems []string
	raw, err := src.read("manifest.json")
	if err != nil {
		return []string{"manifest.json is missing"}, 0
	}
	v, err := parseJSON(raw)
	m, _ := v.(map[string]any)
	listed, isObj := m["files"].(map[string]any)
	if f, _ := asInt(m["format"]); err != nil || !isObj || f != 1 {
		return []string{`manifest.json is not {"format": 1, "files": {…}}`}, 0
	}
	for _, path := range sortedKeys(listed) {
		data, err := src.read(path)
		if err != nil || strings.Contains(path, "..") {
			problems = append(problems, fmt.Sprintf("%s: listed in manifest.json but not published", path))
			continue
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != listed[path] {
			problems = append(problems, fmt.Sprintf("%s: SHA-256 %x is not the manifest's %v", path, sum, listed[path]))
		}
	}
	var files []string
	_ = filepath.WalkDir(src.location, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(src.location, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	for _, path := range files {
		if _, ok := listed[path]; ok {
			continue
		}
		switch {
		case fixedFiles[path] || checkpointFile.MatchString(path):
		case evidenceFile.MatchString(path):
			i, _ := strconv.Atoi(evidenceFile.FindStringSubmatch(path)[1])
			if i >= len(entries) || !strings.Contains(string(entries[i]), `"kind":"rejection"`) {
				problems = append(problems, path+": neither recomputed by verify nor listed in manifest.json")
			}
		case strings.HasPrefix(path, "log/tile/"):
			want, err := tileBytes(path, size, hr, entries)
			data, rerr := src.read(path)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", path, err))
			} else if rerr != nil || !bytes.Equal(data, want) {
				problems = append(problems, path+": not the tile the log's tree gives")
			}
		default:
			problems = append(problems, path+": neither recomputed by verify nor listed in manifest.json")
		}
	}
	return problems, len(listed)
}

var siteFile = regexp.MustCompile(`^([a-z]+)(?:/([^/]+))?\.(csv|json)$`)

type siteRow struct {
	figures map[string]int64
	options map[string][3]int64 // option → (votes, scanner, hand)
}

// checkSiteFigures: every level file of the site's data directory (LEVEL.csv|json and
// LEVEL/UNIT.csv|json) has exactly the rows the tabulation gives, with the same figures.
func checkSiteFigures(src *source, e *election, units map[string]map[string]*unitResult) []string {
	raw, err := src.read("manifest.json")
	if err != nil {
		return nil
	}
	v, _ := parseJSON(raw)
	m, _ := v.(map[string]any)
	files, _ := m["files"].(map[string]any)
	dir := "site/e/" + e.id + "/data/"
	levels := map[string]bool{"national": true, "region": true, "district": true, "station": true, "abroad": true, "country": true}
	var problems []string
	for _, path := range sortedKeys(files) {
		if !strings.HasPrefix(path, dir) {
			continue
		}
		match := siteFile.FindStringSubmatch(strings.TrimPrefix(path, dir))
		if match == nil || !levels[match[1]] {
			continue // nist.json and the gzipped station files: their hashes only
		}
		want := map[string]siteRow{}
		for _, c := range e.contests {
			for _, u := range units[c.id] {
				if u.level != match[1] || (match[2] != "" && u.id != match[2]) {
					continue
				}
				r := siteRow{figures: map[string]int64{"stations_reported": u.counted.stations, "stations_annulled": u.annulled,
					"voters_on_list": u.counted.voters, "issued": u.counted.issued, "found": u.counted.found,
					"invalid": u.counted.invalid, "valid": u.counted.valid}, options: map[string][3]int64{}}
				for _, o := range c.ballotOrder() {
					// -1 stands for null / an empty cell: no station of the unit has that count
					scanner, hand := int64(-1), int64(-1)
					if u.scanner.stations > 0 {
						scanner = u.scanner.votes[o]
					}
					if u.hand.stations > 0 {
						hand = u.hand.votes[o]
					}
					r.options[o] = [3]int64{u.counted.votes[o], scanner, hand}
				}
				want[u.id+" "+c.id] = r
			}
		}
		data, err := src.read(path)
		var got map[string]siteRow
		if err == nil {
			if match[3] == "csv" {
				got, err = siteRowsCSV(data)
			} else {
				got, err = siteRowsJSON(data)
			}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: unreadable: %v", path, err))
			continue
		}
		keys := map[string]bool{}
		for k := range want {
			keys[k] = true
		}
		for k := range got {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			if !reflect.DeepEqual(want[k], got[k]) {
				problems = append(problems, fmt.Sprintf("%s: unit/contest %s: published %v, the log gives %v", path, k, got[k], want[k]))
			}
		}
	}
	return problems
}

var siteFigures = []string{"stations_reported", "stations_annulled", "voters_on_list", "issued", "found", "invalid", "valid"}

func siteRowsJSON(data []byte) (map[string]siteRow, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	rows, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	out := map[string]siteRow{}
	for _, rv := range rows {
		row, _ := rv.(map[string]any)
		r := siteRow{figures: map[string]int64{}, options: map[string][3]int64{}}
		for _, k := range siteFigures {
			n, ok := asInt(row[k])
			if !ok {
				return nil, fmt.Errorf("%s is not a whole number", k)
			}
			r.figures[k] = n
		}
		opts, _ := row["options"].([]any)
		for _, ov := range opts {
			o, _ := ov.(map[string]any)
			var t [3]int64
			for i, k := range []string{"votes", "scanner", "hand"} {
				n, ok := asInt(o[k])
				if !ok {
					n = -1 // not a count (null): never what the log gives
				}
				t[i] = n
			}
			r.options[fmt.Sprint(o["option"])] = t
		}
		out[fmt.Sprint(row["unit"])+" "+fmt.Sprint(row["contest"])] = r
	}
	return out, nil
}

func siteRowsCSV(data []byte) (map[string]siteRow, error) {
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(records) == 0 {
		return nil, fmt.Errorf("not CSV: %v", err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for _, k := range append(append([]string{}, siteFigures...), "unit", "contest", "option", "votes", "scanner", "hand") {
		if _, ok := col[k]; !ok {
			return nil, fmt.Errorf("no column %s", k)
		}
	}
	out := map[string]siteRow{}
	num := func(rec []string, k string) (int64, error) { return strconv.ParseInt(rec[col[k]], 10, 64) }
	for _, rec := range records[1:] {
		key := rec[col["unit"]] + " " + rec[col["contest"]]
		r, seen := out[key]
		if !seen {
			r = siteRow{figures: map[string]int64{}, options: map[string][3]int64{}}
			for _, k := range siteFigures {
				n, err := num(rec, k)
				if err != nil {
					return nil, err
				}
				r.figures[k] = n
			}
			out[key] = r
		}
		var t [3]int64
		for i, k := range []string{"votes", "scanner", "hand"} {
			if k != "votes" && rec[col[k]] == "" {
				t[i] = -1 // no such count in the unit: an empty cell
				continue
			}
			n, err := num(rec, k)
			if err != nil {
				return nil, err
			}
			t[i] = n
		}
		r.options[rec[col["option"]]] = t
	}
	return out, nil
}
