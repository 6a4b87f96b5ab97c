package main

// The credential signature of a remote ballot: Ed25519 by the credential key over
// lp(x1) ‖ lp(x2) ‖ … (lp: 4-byte big-endian length, then the bytes) for the items
// "achyk/ballot/v1", lp(base hash), lp(credential hex), then per contest lp(contest id), the number
// of selections (4 bytes), per selection pad and data (33 bytes each) and each challenge then each
// response of its 0..1 proof (32 bytes each), then the number of values of the sum proof's range
// (4 bytes) and each of its challenges then responses.

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

func lp(b []byte) []byte {
	out := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(out, uint32(len(b)))
	return append(out, b...)
}

func u32(n int) []byte {
	out := make([]byte, 4)
	binary.BigEndian.PutUint32(out, uint32(n))
	return out
}

func fixedHex(v any, size int) ([]byte, error) {
	s, _ := v.(string)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != size || hex.EncodeToString(b) != s {
		return nil, fmt.Errorf("%.20v is not %d bytes of lowercase hex", v, size)
	}
	return b, nil
}

func ballotMessage(baseHash, credential string, contests []any) ([]byte, error) {
	items := [][]byte{[]byte("achyk/ballot/v1"), lp([]byte(baseHash)), lp([]byte(credential))}
	scalars := func(proof any) ([][]byte, int, error) {
		p, _ := proof.(map[string]any)
		cs, _ := p["c"].([]any)
		vs, _ := p["v"].([]any)
		var out [][]byte
		for _, x := range append(append([]any{}, cs...), vs...) {
			b, err := fixedHex(x, 32)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, b)
		}
		return out, len(cs), nil
	}
	for _, cv := range contests {
		c, _ := cv.(map[string]any)
		id, _ := c["id"].(string)
		sels, _ := c["selections"].([]any)
		proofs, _ := c["proofs"].([]any)
		if len(proofs) != len(sels) {
			return nil, fmt.Errorf("contest %s: %d selections, %d proofs", id, len(sels), len(proofs))
		}
		items = append(items, lp([]byte(id)), u32(len(sels)))
		for i, sv := range sels {
			s, _ := sv.(map[string]any)
			for _, k := range []string{"pad", "data"} {
				b, err := fixedHex(s[k], 33)
				if err != nil {
					return nil, err
				}
				items = append(items, b)
			}
			more, _, err := scalars(proofs[i])
			if err != nil {
				return nil, err
			}
			items = append(items, more...)
		}
		more, n, err := scalars(c["sum_proof"])
		if err != nil {
			return nil, err
		}
		items = append(items, u32(n))
		items = append(items, more...)
	}
	var msg []byte
	for _, x := range items {
		msg = append(msg, lp(x)...)
	}
	return msg, nil
}

func verifyCredentialSignature(ballot map[string]any, baseHash string) error {
	body, _ := ballot["body"].(map[string]any)
	credential, _ := body["credential"].(string)
	key, err := fixedHex(credential, ed25519.PublicKeySize)
	if err != nil {
		return fmt.Errorf("credential: %v", err)
	}
	sigText, _ := ballot["signature"].(string)
	sig, err := base64.StdEncoding.Strict().DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("signature is not base64 of 64 bytes")
	}
	contests, _ := body["contests"].([]any)
	msg, err := ballotMessage(baseHash, credential, contests)
	if err != nil {
		return err
	}
	if !ed25519.Verify(ed25519.PublicKey(key), msg, sig) {
		return fmt.Errorf("credential signature does not verify")
	}
	return nil
}
