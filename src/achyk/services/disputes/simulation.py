"""Complaints in a simulated election: one founded, through to a recount that corrects a protocol;
one founded, through to an annulment that takes the other stuffed station out of the count; one
dismissed through every level to the court; one found invalid; and a party's challenge of the
results still before the court, so the certification of the seats waits. The demo runs it."""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass

from achyk.disputes.lifecycle import signed_step
from achyk.disputes.model import Decision, Status
from achyk.domain.correction import sign_correction
from achyk.services.disputes.filing import file_complaint, record_step
from achyk.services.ledger import log_size
from achyk.services.protocols import Outcome, correct_protocol
from achyk.signing import private_key_from_seed
from achyk.sim.generator import SimElection, body_key
from achyk.store.database import Database
from achyk.store.repositories import Protocols


@dataclass(frozen=True)
class DisputesRun:
    founded: int  # the complaint about the stuffed station
    recount_correction: int  # the correction its recount produced
    to_court: int  # the complaint dismissed at every level, through to the court
    invalid: int
    steps: int
    annulled: str = ""  # the station whose result was annulled ("" when there is none to annul)
    annulment: int = -1  # the decision that annulled it
    pending: int = -1  # the challenge still before the court: the certification waits on it


def simulate_disputes(db: Database, sim: SimElection) -> DisputesRun:
    election = sim.election
    eid = election.id
    stuffed = sim.anomalies["stuffing"][0]
    place = election.place(stuffed)
    assert place is not None
    tec = f"tec-{place.region_id}"
    tec_key = body_key(sim.profile, tec)
    cec_key = private_key_from_seed(sim.authority_seed)
    steps = 0

    def step(complaint: int, authority: str, key: object, status: Status, reasons: str,
             **extra: object) -> int:  # fmt: skip
        nonlocal steps
        envelope = signed_step(key, eid, authority, complaint, status, reasons, **extra)  # type: ignore[arg-type]
        done = record_step(db, eid, envelope)
        assert done.index is not None, done.refused
        steps += 1
        return done.index

    photo = _photo(f"party agent at station {stuffed}, +996 555 000 111")
    founded = file_complaint(db, eid, {
        "filer": "party", "subject": "station", "station": stuffed, "category": "ballot-stuffing",
        "facts": f"Our agent saw a bundle of ballots put into the stationary box at station "
                 f"{stuffed} at 19:40; the count shows turnout far above the district's.",
        "body": "territorial",
    }, [("box-1940.png", "image/png", photo),
        ("box-1940.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42 (a video stand-in)")]).index  # fmt: skip
    assert founded is not None
    step(founded, tec, tec_key, Status.REGISTERED, "Registered by the territorial commission.")
    step(founded, tec, tec_key, Status.HEARING_SET, "Parties and the station commission invited.",
         hearing="the day after election day, 10:00, territorial commission hall")  # fmt: skip
    decision = step(founded, tec, tec_key, Status.DECIDED,
                    "The agent's photo and the voter list signatures do not match the ballots "
                    "found; the ballots are to be counted again.", decision=Decision.RECOUNT)  # fmt: skip
    correction = _recount(db, sim, stuffed, cec_key, decision)
    step(founded, tec, tec_key, Status.EXECUTED, "Recount done; the protocol corrected.",
         correction=correction)  # fmt: skip
    step(founded, tec, tec_key, Status.CLOSED, "Executed.")

    other = next(p.station.id for p in election.stations()
                 if p.station.id != stuffed and not p.station.country and p.station.channel == "station")  # fmt: skip
    other_place = election.place(other)
    assert other_place is not None
    other_tec = f"tec-{other_place.region_id}"
    other_key = body_key(sim.profile, other_tec)
    to_court = file_complaint(db, eid, {
        "filer": "observer", "subject": "station", "station": other, "category": "pressure",
        "facts": "Voters were told at the entrance whom to vote for.", "body": "territorial",
    }).index  # fmt: skip
    assert to_court is not None
    step(to_court, other_tec, other_key, Status.REGISTERED, "Registered.")
    step(to_court, other_tec, other_key, Status.DECIDED, "No witness confirmed the account.",
         decision=Decision.DISMISS)  # fmt: skip
    step(to_court, "cec", cec_key, Status.APPEALED, "The observer's appeal is received by the CEC.")
    step(to_court, "cec", cec_key, Status.DECIDED, "The CEC upholds the dismissal.",
         decision=Decision.DISMISS)  # fmt: skip
    step(
        to_court, "cec", cec_key, Status.REFERRED, "The observer takes the CEC's decision to court."
    )
    court_key = body_key(sim.profile, "court")
    step(to_court, "court", court_key, Status.DECIDED, "The court finds no violation.",
         decision=Decision.DISMISS)  # fmt: skip
    step(to_court, "court", court_key, Status.CLOSED, "No appeal within the time allowed.")

    invalid = file_complaint(db, eid, {
        "filer": "voter", "subject": "election", "station": None, "category": "voter-list",
        "facts": "I was not on the list.", "body": "central",
    }).index  # fmt: skip
    assert invalid is not None
    step(invalid, "cec", cec_key, Status.INVALID,
         "Not a complaint about the conduct of the vote: the voter had moved and not applied "
         "for Form 2; referred to the register's own procedure.")  # fmt: skip
    annulled, annulment = "", -1
    if len(sim.anomalies["stuffing"]) > 1:
        annulled = sim.anomalies["stuffing"][1]
        where = election.place(annulled)
        assert where is not None
        body = f"tec-{where.region_id}"
        key = body_key(sim.profile, body)
        second = file_complaint(db, eid, {
            "filer": "observer", "subject": "station", "station": annulled,
            "category": "ballot-stuffing", "body": "territorial",
            "facts": f"Ballots were put into the box in bundles at station {annulled} after "
                     f"19:00; the voter list holds fewer signatures than ballots found.",
        }).index  # fmt: skip
        assert second is not None
        step(second, body, key, Status.REGISTERED, "Registered by the territorial commission.")
        annulment = step(second, body, key, Status.DECIDED,
                         "Ballots found exceed the signatures on the list; the ballots cannot be "
                         "told apart: the station's result is annulled.", decision=Decision.ANNUL)  # fmt: skip
        step(second, body, key, Status.EXECUTED, "The station's result is out of the count.")
        step(second, body, key, Status.CLOSED, "Executed.")

    challenge = file_complaint(db, eid, {
        "filer": "party", "subject": "election", "station": None, "category": "final-protocol",
        "facts": "The national results must not be certified before every annulled station's "
                 "voters are accounted for.", "body": "central",
    }).index  # fmt: skip
    assert challenge is not None
    step(challenge, "cec", cec_key, Status.REGISTERED, "Registered by the CEC.")
    step(challenge, "cec", cec_key, Status.REFERRED,
         "The party challenges the results in court; the CEC waits for the court's decision.")  # fmt: skip
    return DisputesRun(founded, correction, to_court, invalid, steps, annulled, annulment,
                       challenge)  # fmt: skip


def _photo(author: str) -> bytes:
    """A 2 × 2 PNG (a phone photo stand-in) whose text chunk names its author, as phones write
    metadata: the release publishes it without that chunk. Built from the PNG specification."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    pixels = b"".join(b"\x00" + b"\x80\x80\x80" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Author\x00" + author.encode()) + chunk(b"IDAT", zlib.compress(pixels))
            + chunk(b"IEND", b""))  # fmt: skip


def _recount(db: Database, sim: SimElection, station: str, cec_key: object, decision: int) -> int:
    """The recount's result as a CEC correction of the station's official protocol."""
    eid = sim.election.id
    with db.read() as s:
        row = Protocols(s).current(eid, station, "list", "official")
        assert row is not None
        doc = json.loads(row.document)
        supersedes = row.document_hash
    votes = doc["votes"]
    leader = max(votes, key=lambda o: votes[o])
    set_aside = votes[leader] * 3 // 10
    votes[leader] -= set_aside
    doc["valid"] -= set_aside
    doc["found_stationary"] -= set_aside
    reason = (f"recount ordered by decision (log entry {decision}): {set_aside} ballots found in "
              f"the stationary box without matching signatures were set aside")  # fmt: skip
    envelope = sign_correction(cec_key, "cec", doc, supersedes, reason)  # type: ignore[arg-type]
    receipt = correct_protocol(db, eid, json.dumps(envelope).encode(), f"recount-{station}")
    assert receipt.outcome is Outcome.ACCEPTED, receipt.describe()
    return log_size(db, eid) - 1  # the correction is the entry just appended
