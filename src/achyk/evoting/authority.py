"""The credential authority (Belenios): apart from the ballot box, on its own offline machine.

It makes every voter's private credential (a seed: a letter and a QR code for the voter) and the
public list of credential keys, signed with its own Ed25519 key — the key the election definition
names (`election.credential_authority`). The server imports only the signed public list, so the
operator never sees a seed and cannot mint a credential: `achyk verify` refuses any list entry not
signed by the definition's authority, and a list longer than the voters abroad in the register
commitment (an eligibility audit).

A signed list part is {"kind": "credential-list", "election", "fingerprint", "part", "parts",
"credentials": [sorted canonical hex keys], "signature": base64}; the signature covers
"achyk/credential-list/v1\\n" ‖ the RFC 8785 canonical JSON of the part without "signature".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from achyk.canonical import canonical_json
from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import SYSTEM_RNG, Rng
from achyk.evoting import credentials

LIST_DOMAIN = b"achyk/credential-list/v1\n"
PER_PART = 800  # 800 keys × 67 bytes ≈ 54 KB: one log entry (at most 64 KiB) each


def authority_public_key(secret: bytes) -> str:
    """Base64 of the raw 32-byte Ed25519 public key: what the definition names."""
    pub = Ed25519PrivateKey.from_private_bytes(secret).public_key()
    return base64.b64encode(pub.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def new_authority_key(rng: Rng = SYSTEM_RNG) -> bytes:
    return credentials.new_seed(rng)


def _message(part: dict[str, Any]) -> bytes:
    return LIST_DOMAIN + canonical_json({k: v for k, v in part.items() if k != "signature"})


def sign_list(
    secret: bytes, election_id: str, fingerprint: str, keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The public list in signed parts; keys are validated and sorted (the order says nothing)."""
    canon = sorted({credentials.parse_key(k) for k in keys})
    if len(canon) != len(keys):
        raise InvalidEncoding("the same credential key twice")
    chunks = [canon[i : i + PER_PART] for i in range(0, len(canon), PER_PART)] or [[]]
    key = Ed25519PrivateKey.from_private_bytes(secret)
    out = []
    for n, chunk in enumerate(chunks, 1):
        part: dict[str, Any] = {"kind": "credential-list", "election": election_id,
                                "fingerprint": fingerprint, "part": n, "parts": len(chunks),
                                "credentials": chunk}  # fmt: skip
        part["signature"] = base64.b64encode(key.sign(_message(part))).decode()
        out.append(part)
    return out


def list_signed_by(part: Any, authority: str) -> bool:
    """Is this list part signed by the authority (base64 Ed25519 key from the definition)?"""
    try:
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(authority, validate=True))
        pub.verify(base64.b64decode(part["signature"], validate=True), _message(part))
    except (InvalidSignature, ValueError, TypeError, KeyError, binascii.Error):
        return False
    return True


@dataclass(frozen=True)
class ListCheck:
    keys: tuple[str, ...]  # canonical, in list order
    problems: tuple[str, ...]


def check_list(
    parts: Sequence[Any], authority: str | None, election_id: str, fingerprint: str
) -> ListCheck:
    """Every part signed by the authority, for this election and these parameters, parts 1..n
    complete, keys valid and distinct as points."""
    problems: list[str] = []
    if authority is None:
        return ListCheck((), ("the definition names no credential authority: the server could "
                              "have made every credential",))  # fmt: skip
    keys: list[str] = []
    seen: set[str] = set()
    expect = 1  # lists may come in several imports, each numbered 1..parts
    for i, part in enumerate(parts):
        where = f"credential list part {i + 1}"
        if not isinstance(part, dict) or not list_signed_by(part, authority):
            problems.append(f"{where}: not signed by the credential authority of the definition")
            continue
        if part.get("election") != election_id or part.get("fingerprint") != fingerprint:
            problems.append(f"{where}: made for another election or other parameters")
        n, of = part.get("part"), part.get("parts")
        if n != expect or not isinstance(of, int) or n > of:
            problems.append(f"{where}: numbered {n!r} of {of!r}, expected part {expect}")
        expect = 1 if not isinstance(n, int) or not isinstance(of, int) or n >= of else n + 1
        for k in part.get("credentials", []) if isinstance(part.get("credentials"), list) else []:
            try:
                c = credentials.parse_key(k)
            except InvalidEncoding as err:
                problems.append(f"{where}: credential {str(k)[:12]}…: {err}")
                continue
            if c in seen:
                problems.append(f"{where}: credential {c[:12]}… listed twice")
                continue
            seen.add(c)
            keys.append(c)
    if expect != 1:
        problems.append(f"credential list: part {expect} is missing")
    return ListCheck(tuple(keys), tuple(problems))
