"""Requests signed by a CEC authority of the election (``Election.authorities``).

Writes that change who may vote where — Form 2 moves — are made only by the CEC. Such a request
carries ``X-Authority`` (the authority's id in the definition), ``X-Timestamp``, ``X-Nonce`` and
``X-Signature``: Ed25519 by that authority's key over
:func:`achyk.domain.signed_request.request_message` with
:data:`~achyk.domain.signed_request.AUTHORITY_REQUEST_PURPOSE`. Each nonce is spent once, in the
same table as the station devices' nonces, under the owner ``authority:<id>`` so that an authority
and a device can never spend each other's nonces.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from achyk.domain.definition import Authority
from achyk.domain.signed_request import AUTHORITY_REQUEST_PURPOSE, RequestAuthError, check_request
from achyk.services.elections import get_election
from achyk.signing import load_public_key
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo

_OWNER_MAX = 64  # the width of device_nonces.device_id


def nonce_owner(authority_id: str) -> str:
    owner = f"authority:{authority_id}"
    if len(owner) <= _OWNER_MAX:
        return owner
    return "authority:" + hashlib.sha256(authority_id.encode()).hexdigest()[: _OWNER_MAX - 10]


def authenticate_authority(
    db: Database,
    election_id: str,
    authority_id: str,
    *,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    signature: str,
    now: datetime | None = None,
) -> Authority:
    """The authority that signed this request just now; its nonce is spent (committed) here.

    The nonce is spent in its own transaction, before the action: a signed request is good for one
    attempt, whatever that attempt's outcome.
    """
    election = get_election(db, election_id)
    authority = next((a for a in election.authorities if a.id == authority_id), None)
    if authority is None:
        raise RequestAuthError(f"{authority_id!r} is not an authority of election {election.id}")
    if authority.body != "central":  # Form 2 moves and register acts are the CEC's
        raise RequestAuthError(f"{authority_id!r} is a {authority.body} body, not the CEC")
    check_request(
        load_public_key(authority.public_key), AUTHORITY_REQUEST_PURPOSE, method=method,
        path=path, body=body, timestamp=timestamp, nonce=nonce, signature=signature, now=now,
    )  # fmt: skip
    with db.session() as s:
        if not RegisterRepo(s, election.id).add_nonce(nonce_owner(authority.id), nonce):
            raise RequestAuthError(f"replayed request: nonce {nonce} was already used")
    return authority
