"""Signed notes, checkpoints and witness cosignatures against the published vectors.

Sources (facts copied, not code):
* GO_NOTE = golang.org/x/mod sumdb/note/note_test.go (github.com/golang/mod): the PeterNeumann and
  EnochRoot keys, the signed "If you think cryptography..." note and its malformed variants.
* C2SP_CHECKPOINT = https://c2sp.org/tlog-checkpoint (example checkpoint with a log signature)
* C2SP_COSIG = https://c2sp.org/tlog-cosignature (example cosigned checkpoint and the example
  cosignature/v1 signed message for time 1679315147)
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.errors import VerificationError
from achyk.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from achyk.ledger.cosignature import (
    CosignatureError,
    WitnessKey,
    cosign,
    cosignature_message,
    parse_cosignature,
    verify_cosignature,
)
from achyk.ledger.note import (
    Ed25519Verifier,
    NoteError,
    ed25519_verifier,
    format_signer_key,
    key_id,
    parse_note,
    parse_signer_key,
    parse_vkey,
    sign_note,
    verify_note,
)

# GO_NOTE
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# C2SP_CHECKPOINT / C2SP_COSIG
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LOG_SIG = (
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_COSIG = (
    "— witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def _key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


# --- signed notes ---------------------------------------------------------------------------


def test_sign_reproduces_published_note() -> None:
    name, key = parse_signer_key(PETER_SKEY)
    assert name == "PeterNeumann"
    assert sign_note(TEXT, name, key) == TEXT + "\n" + PETER_SIG
    assert format_signer_key(name, key) == PETER_SKEY
    assert Ed25519Verifier.from_private_key(name, key).vkey == PETER_VKEY


def test_vkey_and_key_id() -> None:
    peter = ed25519_verifier(PETER_VKEY)
    assert peter.key_id == bytes.fromhex("c74f20a3")
    assert parse_vkey(ENOCH_VKEY)[:2] == ("EnochRoot", 0x01)
    assert key_id("EnochRoot", 0x01, parse_vkey(ENOCH_VKEY)[2]).hex() == "af0cfe78"


def test_mangled_vkeys_are_refused() -> None:
    # GO_NOTE TestNewVerifier: every proper substring and every single-byte change is refused
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(NoteError):
                    ed25519_verifier(b[i:j])
    for i in range(len(b)):
        with pytest.raises(NoteError):
            ed25519_verifier(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    with pytest.raises(NoteError):  # wrong-length key with adjusted key hash
        ed25519_verifier(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
    with pytest.raises(NoteError):  # unknown algorithm with adjusted key hash
        ed25519_verifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_open_with_known_and_unknown_keys() -> None:
    # GO_NOTE TestOpen
    peter, enoch = ed25519_verifier(PETER_VKEY), ed25519_verifier(ENOCH_VKEY)
    message = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    note, verified = verify_note(message, [peter])
    assert note.text == TEXT
    assert verified == ["PeterNeumann"]
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert note.render() == message
    assert verify_note(message, [peter, enoch])[1] == ["PeterNeumann", "EnochRoot"]
    with pytest.raises(NoteError, match="no verifiable signature"):
        verify_note(message, [])
    with pytest.raises(NoteError, match="ambiguous key EnochRoot\\+af0cfe78"):
        verify_note(TEXT + "\n" + ENOCH_SIG, [enoch, peter, enoch])
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        verify_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [peter])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes(message: str) -> None:
    # GO_NOTE TestOpen badMsgs and "too many signatures"
    with pytest.raises(NoteError):
        verify_note(message, [ed25519_verifier(PETER_VKEY)])


def test_sign_refuses_bad_text_and_names() -> None:
    _, key = parse_signer_key(PETER_SKEY)
    with pytest.raises(NoteError):
        sign_note("abc", "PeterNeumann", key)
    with pytest.raises(NoteError):
        sign_note(TEXT, "a+b", key)
    with pytest.raises(NoteError):
        sign_note(TEXT, "a b", key)


# --- checkpoints ---------------------------------------------------------------------------


def test_parse_published_checkpoint() -> None:
    cp = parse_checkpoint(SPEC_BODY + "\n" + SPEC_LOG_SIG)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.body() == SPEC_BODY
    assert parse_checkpoint(SPEC_BODY) == cp


def test_sign_and_verify_checkpoint() -> None:
    key = _key("log")
    cp = Checkpoint("cec.example/kg-2025", 12, hashlib.sha256(b"x").digest(), ("ext line",))
    text = sign_checkpoint(cp, cp.origin, key)
    vkey = Ed25519Verifier.from_private_key(cp.origin, key).vkey
    assert text.startswith(cp.body() + "\n— cec.example/kg-2025 ")
    assert verify_checkpoint(text, vkey) == cp
    assert verify_checkpoint(text, vkey, origin=cp.origin) == cp
    with pytest.raises(CheckpointError, match="origin"):
        verify_checkpoint(text, vkey, origin="other.example/log")
    # a different key under the same name has another key ID: its signature is unknown
    other = Ed25519Verifier.from_private_key(cp.origin, _key("impostor")).vkey
    with pytest.raises(CheckpointError, match="no verifiable signature"):
        verify_checkpoint(text, other)
    with pytest.raises(CheckpointError, match="no verifiable signature"):
        verify_checkpoint(text, PETER_VKEY)
    tampered = text.replace("\n12\n", "\n13\n")
    with pytest.raises(CheckpointError, match="invalid signature"):
        verify_checkpoint(tampered, vkey)
    assert issubclass(CheckpointError, VerificationError)


@pytest.mark.parametrize(
    "body",
    [
        "example.com/log\n20852163\n",  # no root
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # empty origin
        "example.com/log\n007\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # leading zeroes
        "example.com/log\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # bad base64
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",  # 30 bytes
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx\n\n\ny\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",  # no final newline
    ],
)
def test_malformed_checkpoints(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)
    with pytest.raises(VerificationError):
        verify_checkpoint(body + "\n" + SPEC_LOG_SIG, PETER_VKEY)


def test_size_zero_is_a_valid_checkpoint() -> None:
    cp = parse_checkpoint("log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
    assert cp.size == 0
    assert cp.root == hashlib.sha256(b"").digest()


# --- cosignatures --------------------------------------------------------------------------


def test_published_cosignature_layout() -> None:
    # C2SP_COSIG: the example line is base64(key ID || uint64 time || signature); its time is the
    # 1679315147 of the spec's example signed message.
    note = parse_note(SPEC_BODY + "\n" + SPEC_LOG_SIG + SPEC_COSIG)
    cosig = note.signatures[1]
    assert cosig.name == "witness.example.com/w1"
    timestamp, sig = parse_cosignature(cosig)
    assert timestamp == 1679315147
    assert len(sig) == 64
    assert cosignature_message(SPEC_BODY, 1679315147) == (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_cosign_and_verify() -> None:
    log_key, witness_key = _key("log"), _key("witness")
    cp = Checkpoint("cec.example/kg-2025", 1000, hashlib.sha256(b"r").digest())
    signed = sign_checkpoint(cp, cp.origin, log_key)
    line = cosign(signed, "witness.example/w1", witness_key, 1_700_000_000)
    cosigned = signed + line
    witness = WitnessKey.from_private_key("witness.example/w1", witness_key)
    assert witness.key_id == key_id("witness.example/w1", 0x04, witness.public_key)
    assert WitnessKey.from_vkey(witness.vkey) == witness
    result = verify_cosignature(cosigned, witness.vkey)
    assert (result.witness, result.timestamp, result.checkpoint) == (
        "witness.example/w1",
        1_700_000_000,
        cp,
    )
    # the log key still verifies; the cosignature line is an unknown key to it
    log_vkey = Ed25519Verifier.from_private_key(cp.origin, log_key).vkey
    assert verify_checkpoint(cosigned, log_vkey) == cp
    # the Ed25519 signature covers the timestamp: altering it breaks the cosignature
    raw = bytearray(
        parse_note(cosigned).signatures[1].key_id + parse_note(cosigned).signatures[1].signature
    )
    raw[11] ^= 1
    forged = signed + f"— witness.example/w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosignature(forged, witness)
    # ... and the body
    with pytest.raises(CosignatureError, match="does not verify"):
        verify_cosignature(cosigned.replace("\n1000\n", "\n1001\n"), witness)
    other = WitnessKey.from_private_key("witness.example/w1", _key("other"))
    with pytest.raises(CosignatureError, match="no cosignature"):
        verify_cosignature(cosigned, other)
    with pytest.raises(CosignatureError):
        WitnessKey.from_vkey(log_vkey)  # a 0x01 key is not a witness key
    with pytest.raises(NoteError):
        cosign(signed, "w", witness_key, 2**63)
    with pytest.raises(VerificationError):
        cosign("not a checkpoint\n", "w", witness_key, 1)
