package main

// The remote-voting proofs on secp256k1 (docs/record-format.md, "Remote voting"), with the curve
// arithmetic of Debian's btcec. Points are affine big integers; (0, 0) is the identity.

import (
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/btcec"
)

var curve = btcec.S256()

type point struct{ x, y *big.Int }

var identity = point{new(big.Int), new(big.Int)}

func (p point) isIdentity() bool   { return p.x.Sign() == 0 && p.y.Sign() == 0 }
func (p point) equal(q point) bool { return p.x.Cmp(q.x) == 0 && p.y.Cmp(q.y) == 0 }

func (p point) encode() []byte {
	if p.isIdentity() {
		return []byte{0}
	}
	out := make([]byte, 33)
	out[0] = 2 + byte(p.y.Bit(0))
	p.x.FillBytes(out[1:])
	return out
}

func scalarBytes(k *big.Int) []byte {
	return new(big.Int).Mod(k, curve.N).FillBytes(make([]byte, 32))
}

func add(p, q point) point {
	x, y := curve.Add(p.x, p.y, q.x, q.y)
	return point{x, y}
}

func neg(p point) point {
	if p.isIdentity() {
		return p
	}
	return point{p.x, new(big.Int).Sub(curve.P, p.y)}
}

func mul(p point, k *big.Int) point {
	if p.isIdentity() || new(big.Int).Mod(k, curve.N).Sign() == 0 {
		return identity
	}
	x, y := curve.ScalarMult(p.x, p.y, scalarBytes(k))
	return point{x, y}
}

func baseMul(k *big.Int) point {
	if new(big.Int).Mod(k, curve.N).Sign() == 0 {
		return identity
	}
	x, y := curve.ScalarBaseMult(scalarBytes(k))
	return point{x, y}
}

// decodePoint: 33-byte SEC 1 compressed, on the curve (cofactor 1: full validation); "00" is
// the identity, accepted only where sums may be the identity.
func decodePoint(v any, allowIdentity bool) (point, error) {
	s, _ := v.(string)
	b, err := hex.DecodeString(s)
	if err == nil && hex.EncodeToString(b) != s {
		err = fmt.Errorf("not lowercase")
	}
	if err != nil {
		return identity, fmt.Errorf("element %.16q: %v", s, err)
	}
	if len(b) == 1 && b[0] == 0 && allowIdentity {
		return identity, nil
	}
	if len(b) != 33 || (b[0] != 2 && b[0] != 3) {
		return identity, fmt.Errorf("element %.16q is not a compressed point", s)
	}
	key, err := btcec.ParsePubKey(b, curve)
	if err != nil {
		return identity, fmt.Errorf("element %.16q: %v", s, err)
	}
	return point{key.X, key.Y}, nil
}

func decodeScalar(v any) (*big.Int, error) {
	b, err := fixedHex(v, 32)
	if err != nil {
		return nil, err
	}
	k := new(big.Int).SetBytes(b)
	if k.Cmp(curve.N) >= 0 {
		return nil, fmt.Errorf("scalar is not below the group order")
	}
	return k, nil
}

// challenge: SHA-512 over "achyk/fiat-shamir/v1" ‖ lp(tag) ‖ lp("secp256k1") ‖ lp(base hash) ‖
// lp(item)…, mod n; points as their encoding, integers as 32 bytes, text as UTF-8.
func challenge(tag, baseHash string, items ...any) *big.Int {
	h := sha512.New()
	h.Write([]byte("achyk/fiat-shamir/v1"))
	put := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	put([]byte(tag))
	put([]byte("secp256k1"))
	put([]byte(baseHash))
	for _, it := range items {
		switch t := it.(type) {
		case point:
			put(t.encode())
		case int:
			put(big.NewInt(int64(t)).FillBytes(make([]byte, 32)))
		case *big.Int:
			put(t.FillBytes(make([]byte, 32)))
		case string:
			put([]byte(t))
		case []byte:
			put(t)
		}
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(h.Sum(nil)), curve.N)
}

type cv struct{ c, v *big.Int }

func decodeCV(v any) (cv, error) {
	m, _ := v.(map[string]any)
	c, err := decodeScalar(m["c"])
	if err != nil {
		return cv{}, err
	}
	r, err := decodeScalar(m["v"])
	return cv{c, r}, err
}

func sub(p, q point) point { return add(p, neg(q)) }

// schnorrOK: A = v·G − c·X; c = H("schnorr"; X, context…, A).
func schnorrOK(baseHash string, x point, p cv, context ...any) bool {
	a := sub(baseMul(p.v), mul(x, p.c))
	items := append(append([]any{x}, context...), a)
	return challenge("schnorr", baseHash, items...).Cmp(p.c) == 0
}

// dleqOK: a = v·G − c·X, b = v·H − c·Y; c = H("chaum-pedersen"; X, H, Y, context…, a, b).
func dleqOK(baseHash string, x, hp, y point, p cv, context ...any) bool {
	a := sub(baseMul(p.v), mul(x, p.c))
	b := sub(mul(hp, p.v), mul(y, p.c))
	items := append(append([]any{x, hp, y}, context...), a, b)
	return challenge("chaum-pedersen", baseHash, items...).Cmp(p.c) == 0
}

type ciphertext struct{ pad, data point }

func decodeCiphertext(v any, allowIdentity bool) (ciphertext, error) {
	m, _ := v.(map[string]any)
	pad, err := decodePoint(m["pad"], allowIdentity)
	if err != nil {
		return ciphertext{}, err
	}
	data, err := decodePoint(m["data"], allowIdentity)
	return ciphertext{pad, data}, err
}

// rangeOK: for j in lo..hi, a_j = v_j·G − c_j·pad, b_j = v_j·K − c_j·(data − j·G);
// Σ c_j = H("range"; K, pad, data, lo, hi, context…, a_lo, b_lo, …, a_hi, b_hi).
func rangeOK(baseHash string, k point, ct ciphertext, proof any, lo, hi int, context ...any) error {
	m, _ := proof.(map[string]any)
	cs, _ := m["c"].([]any)
	vs, _ := m["v"].([]any)
	if len(cs) != hi-lo+1 || len(vs) != hi-lo+1 {
		return fmt.Errorf("range proof for %d..%d needs %d challenges and responses", lo, hi, hi-lo+1)
	}
	items := append([]any{k, ct.pad, ct.data, lo, hi}, context...)
	sum := new(big.Int)
	for j := lo; j <= hi; j++ {
		c, err := decodeScalar(cs[j-lo])
		if err != nil {
			return err
		}
		v, err := decodeScalar(vs[j-lo])
		if err != nil {
			return err
		}
		shifted := sub(ct.data, baseMul(big.NewInt(int64(j))))
		items = append(items, sub(baseMul(v), mul(ct.pad, c)), sub(mul(k, v), mul(shifted, c)))
		sum.Add(sum, c)
	}
	if new(big.Int).Mod(sum, curve.N).Cmp(challenge("range", baseHash, items...)) != 0 {
		return fmt.Errorf("range proof (%d..%d) does not verify", lo, hi)
	}
	return nil
}
