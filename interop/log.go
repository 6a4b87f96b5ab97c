package main

// The log: C2SP checkpoints (signed notes), cosignatures, tlog-tiles and entry bundles, checked
// with golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
	body   string
}

var sizePattern = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

func parseCheckpointBody(text string) (checkpoint, error) {
	var cp checkpoint
	if !strings.HasSuffix(text, "\n") {
		return cp, fmt.Errorf("checkpoint text must end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return cp, fmt.Errorf("checkpoint has %d line(s); needs origin, size and root", len(lines))
	}
	if lines[0] == "" {
		return cp, fmt.Errorf("checkpoint origin is empty")
	}
	if !sizePattern.MatchString(lines[1]) {
		return cp, fmt.Errorf("checkpoint size %q is not a decimal", lines[1])
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return cp, fmt.Errorf("checkpoint size %q: %v", lines[1], err)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return cp, fmt.Errorf("checkpoint root %q is not base64 of 32 bytes", lines[2])
	}
	for i, ext := range lines[3:] {
		if ext == "" {
			return cp, fmt.Errorf("checkpoint line %d (extension) is empty", i+4)
		}
	}
	cp.origin, cp.size, cp.body = lines[0], size, text
	copy(cp.root[:], root)
	return cp, nil
}

// openCheckpoint checks the log's signature (and the origin, when given) on a checkpoint note.
func openCheckpoint(msg []byte, logKey note.Verifier, origin string) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(logKey))
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint signed by %s: %v", logKey.Name(), err)
	}
	cp, err := parseCheckpointBody(n.Text)
	if err != nil {
		return cp, err
	}
	if origin != "" && cp.origin != origin {
		return cp, fmt.Errorf("checkpoint origin %q is not the expected %q", cp.origin, origin)
	}
	return cp, nil
}

// cosigVerifier is a C2SP tlog-cosignature/v1 witness key (signature type 0x04): the signature is
// an 8-byte big-endian timestamp then Ed25519 over "cosignature/v1\ntime T\n" + checkpoint body.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v cosigVerifier) Name() string    { return v.name }
func (v cosigVerifier) KeyHash() uint32 { return v.hash }
func (v cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > 1<<63-1 {
		return false
	}
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}

func keyHash(name string, alg byte, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', alg})
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

// parseWitnessKey reads a vkey "name+hash+base64(0x04 || key)".
func parseWitnessKey(vkey string) (cosigVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3) // base64 may itself hold "+"
	if len(parts) != 3 || parts[0] == "" {
		return cosigVerifier{}, fmt.Errorf("witness key %q is not name+hash+key", vkey)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return cosigVerifier{}, fmt.Errorf("witness key %q is not a cosignature/v1 (0x04) Ed25519 key", vkey)
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 {
		return cosigVerifier{}, fmt.Errorf("witness key %q: bad key hash", vkey)
	}
	v := cosigVerifier{name: parts[0], hash: uint32(h), key: ed25519.PublicKey(raw[1:])}
	if keyHash(v.name, 0x04, raw[1:]) != v.hash {
		return v, fmt.Errorf("witness key %q: key hash does not match the key", vkey)
	}
	return v, nil
}

// cosigned reports whether the note carries a valid cosignature by w.
func cosigned(msg []byte, w cosigVerifier) error {
	_, err := note.Open(msg, note.VerifierList(w))
	return err
}

// tiles: C2SP tlog-tiles paths under log/, read through x/mod's verifying TileHashReader.
type tileReader struct {
	src   *source
	read  map[string]bool
	fetch func(path string) ([]byte, error)
}

func c2spTilePath(t tlog.Tile) string {
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/data/", tileHeight))
	}
	return "tile/" + strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
}

func (r *tileReader) Height() int { return tileHeight }
func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := r.fetch("log/" + c2spTilePath(t))
		if err != nil {
			return nil, err
		}
		r.read[c2spTilePath(t)] = true
		out[i] = data
	}
	return out, nil
}
func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// allTiles lists every tile a log of size n serves: the full tiles and each level's partial one.
func allTiles(n int64) []tlog.Tile {
	var out []tlog.Tile
	for level := 0; n>>(tileHeight*level) > 0; level++ {
		count := n >> (tileHeight * level)
		for i := int64(0); i < count/256; i++ {
			out = append(out, tlog.Tile{H: tileHeight, L: level, N: i, W: 256})
		}
		if w := count % 256; w > 0 {
			out = append(out, tlog.Tile{H: tileHeight, L: level, N: count / 256, W: int(w)})
		}
	}
	return out
}

// verifyLog checks every tile file against the signed root and returns the entries.
func verifyLog(src *source, cp checkpoint) (tlog.HashReader, [][]byte, int, error) {
	cache := map[string][]byte{}
	fetch := func(path string) ([]byte, error) {
		if d, ok := cache[path]; ok {
			return d, nil
		}
		d, err := src.read(path)
		if err == nil {
			cache[path] = d
		}
		return d, err
	}
	tr := &tileReader{src: src, read: map[string]bool{}, fetch: fetch}
	hr := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, tr)
	if cp.size == 0 {
		return hr, nil, 0, nil
	}
	root, err := tlog.TreeHash(cp.size, hr)
	if err != nil {
		return hr, nil, 0, err
	}
	if root != cp.root {
		return hr, nil, 0, fmt.Errorf("the tiles give root %x, the checkpoint %x", root[:], cp.root[:])
	}
	tiles := allTiles(cp.size)
	var entries [][]byte
	for _, t := range tiles {
		data, err := fetch("log/" + c2spTilePath(t))
		if err != nil {
			return hr, nil, 0, err
		}
		if len(data) != t.W*32 {
			return hr, nil, 0, fmt.Errorf("%s is %d bytes, not %d", c2spTilePath(t), len(data), t.W*32)
		}
		idx := make([]int64, t.W)
		for k := range idx {
			idx[k] = tlog.StoredHashIndex(t.L*tileHeight, t.N*256+int64(k))
		}
		hashes, err := hr.ReadHashes(idx)
		if err != nil {
			return hr, nil, 0, fmt.Errorf("%s: %v", c2spTilePath(t), err)
		}
		for k, h := range hashes {
			if !bytes.Equal(h[:], data[k*32:(k+1)*32]) {
				return hr, nil, 0, fmt.Errorf("%s: hash %d does not match the tree", c2spTilePath(t), k)
			}
		}
		if t.L != 0 {
			continue
		}
		bundleTile := tlog.Tile{H: tileHeight, L: -1, N: t.N, W: t.W}
		path := c2spTilePath(bundleTile)
		bundle, err := fetch("log/" + path)
		if err != nil {
			return hr, nil, 0, err
		}
		got, err := decodeBundle(bundle)
		if err != nil {
			return hr, nil, 0, fmt.Errorf("%s: %v", path, err)
		}
		if len(got) != t.W {
			return hr, nil, 0, fmt.Errorf("%s holds %d entries, its tile %d", path, len(got), t.W)
		}
		for k, e := range got {
			if tlog.RecordHash(e) != hashes[k] {
				return hr, nil, 0, fmt.Errorf("entry %d (%s) does not hash to its leaf", t.N*256+int64(k), path)
			}
		}
		entries = append(entries, got...)
	}
	return hr, entries, len(tiles), nil
}

func decodeBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("truncated length prefix")
		}
		n := int(binary.BigEndian.Uint16(data[:2]))
		if len(data) < 2+n {
			return nil, fmt.Errorf("truncated entry")
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}

// consistent proves, from the latest tree's tiles, that an earlier checkpoint is its prefix.
func consistent(hr tlog.HashReader, latest checkpoint, old checkpoint) error {
	if old.size == 0 {
		return nil
	}
	if old.size > latest.size {
		return fmt.Errorf("size %d is ahead of the latest checkpoint (%d)", old.size, latest.size)
	}
	proof, err := tlog.ProveTree(latest.size, old.size, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, latest.size, latest.root, old.size, old.root); err != nil {
		return fmt.Errorf("root at size %d is not a prefix of this log: %v", old.size, err)
	}
	return nil
}

// logKeys: which key signed the checkpoint of each size. A log-key-rotation entry at index r names
// the previous key and the new one; checkpoints up to size r+1 are signed by the previous key
// (size r+1 by both), later ones by the new key; the last rotation hands over to the current key.
func logKeys(entries [][]byte, current string) (func(int64) string, []string) {
	type rotation struct {
		index          int64
		previous, next string
	}
	var rotations []rotation
	var problems []string
	for i, raw := range entries {
		if !strings.Contains(string(raw), `"kind":"log-key-rotation"`) {
			continue
		}
		v, err := parseJSON(raw)
		e, _ := v.(map[string]any)
		prev, ok1 := e["previous"].(string)
		next, ok2 := e["key"].(string)
		if err != nil || !ok1 || !ok2 {
			problems = append(problems, fmt.Sprintf("log entry %d: a malformed log key rotation", i))
			continue
		}
		rotations = append(rotations, rotation{int64(i), prev, next})
	}
	for i := 1; i < len(rotations); i++ {
		if rotations[i-1].next != rotations[i].previous {
			problems = append(problems, "the log key rotations do not follow one another")
			break
		}
	}
	if n := len(rotations); n > 0 && rotations[n-1].next != current {
		problems = append(problems, fmt.Sprintf("the last log key rotation hands over to %s, not to the published log key %s", rotations[n-1].next, current))
	}
	return func(size int64) string {
		for _, r := range rotations {
			if size <= r.index+1 {
				return r.previous
			}
		}
		return current
	}, problems
}

// earlierPartialTiles: for every earlier size s and level l with w = floor(s/256^l) mod 256 > 0
// whose tile n = floor(s/256^(l+1)) is not yet full at the latest size, log/tile/l/n.p/w.
func earlierPartialTiles(latest int64, sizes []int64) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sizes {
		if s >= latest {
			continue
		}
		for l := 0; s>>(tileHeight*l) > 0; l++ {
			w := (s >> (tileHeight * l)) % 256
			n := s >> (tileHeight * (l + 1))
			full := latest >> (tileHeight * (l + 1)) // tiles full at the latest size
			if w == 0 || n < full {
				continue
			}
			t := tlog.Tile{H: tileHeight, L: l, N: n, W: int(w)}
			path := c2spTilePath(t)
			if !seen[path] {
				seen[path] = true
				out = append(out, path)
			}
		}
	}
	return out
}
