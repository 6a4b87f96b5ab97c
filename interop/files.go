package main

// Every file accounted for ("Every file accounted for" in docs/record-format.md): in a record
// directory each file is one the verifier checks byte for byte (the documents, checkpoints,
// evidence of a rejection, every tile and entry bundle recomputed from the verified tree), or is
// listed in manifest.json with its SHA-256. The site's figures are NOT recomputed here.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
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
