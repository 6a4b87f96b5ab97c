"""`achyk credentials …` — the credential authority's commands, run on its own offline machine.

`keygen` makes the authority's signing key (its public half goes into the election definition as
`election.credential_authority`); `make` makes each voter's private credential — a letter in the
voter's language with the election fingerprint printed on it, and a QR code — and the public list
of credential keys signed with the authority's key. Only `public-list.json` (and, with a register,
`voters.json`: whom to check in on the remote channel) leave the machine, for
`achyk remote credentials --list … --voters …` on the server. The letters never do.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from achyk.cli.common import console
from achyk.errors import InputError, Problem

app = typer.Typer(help="The credential authority (offline): its key, the voters' credentials.",
                  no_args_is_help=True)  # fmt: skip

LANGUAGES = ("ru", "ky", "kk", "en")
QR_PREFIX = "achyk-credential:1"

LETTER = {
    "en": ("Your credential for remote voting — {name}\n\n"
           "Election fingerprint: {fingerprint}\n"
           "Check that the voting page or `achyk vote` shows exactly this fingerprint before you\n"
           "enter your credential. If it differs, do not vote: report it to the commission.\n\n"
           "Your secret credential (type it in, or scan the QR code):\n\n    {seed}\n\n"
           "Keep it secret: whoever has it can vote in your name. You may vote again; the last\n"
           "ballot counts. Nobody, the commission included, can link it to you.\n"),
    "ru": ("Ваш ключ для дистанционного голосования — {name}\n\n"
           "Отпечаток выборов: {fingerprint}\n"
           "Прежде чем ввести ключ, проверьте, что страница голосования или `achyk vote`\n"
           "показывает именно этот отпечаток. Если он другой, не голосуйте: сообщите в комиссию.\n\n"
           "Ваш секретный ключ (введите его или отсканируйте QR-код):\n\n    {seed}\n\n"
           "Храните его в тайне: кто его знает, может голосовать от вашего имени. Можно\n"
           "проголосовать снова — засчитывается последний бюллетень. Никто, включая комиссию,\n"
           "не может связать ключ с вами.\n"),
    "ky": ("Аралыктан добуш берүү үчүн ачкычыңыз — {name}\n\n"
           "Шайлоонун издери: {fingerprint}\n"
           "Ачкычты киргизүүдөн мурун добуш берүү барагы же `achyk vote` дал ушул изди\n"
           "көрсөткөнүн текшериңиз. Башкача болсо, добуш бербеңиз: комиссияга кабарлаңыз.\n\n"
           "Жашыруун ачкычыңыз (терип киргизиңиз же QR-кодду сканерлеңиз):\n\n    {seed}\n\n"
           "Аны сыр сактаңыз: аны билген адам сиздин атыңыздан добуш бере алат. Кайра добуш\n"
           "берсеңиз болот — акыркы бюллетень эсептелет. Эч ким, комиссия да, ачкычты сиз менен\n"
           "байланыштыра албайт.\n"),
    "kk": ("Қашықтан дауыс беруге арналған кілтіңіз — {name}\n\n"
           "Сайлаудың саусақ ізі: {fingerprint}\n"
           "Кілтті енгізер алдында дауыс беру беті немесе `achyk vote` дәл осы ізді\n"
           "көрсететінін тексеріңіз. Басқаша болса, дауыс бермеңіз: комиссияға хабарлаңыз.\n\n"
           "Құпия кілтіңіз (теріп енгізіңіз немесе QR-кодты сканерлеңіз):\n\n    {seed}\n\n"
           "Оны құпия сақтаңыз: оны білетін адам сіздің атыңыздан дауыс бере алады. Қайта\n"
           "дауыс беруге болады — соңғы бюллетень есептеледі. Ешкім, комиссия да, кілтті\n"
           "сізбен байланыстыра алмайды.\n"),
}  # fmt: skip


def letter_text(language: str, election_name: str, fingerprint_short: str, seed: bytes) -> str:
    grouped = " ".join(seed.hex()[i : i + 8] for i in range(0, 64, 8))
    return LETTER[language].format(name=election_name, fingerprint=fingerprint_short, seed=grouped)


def qr_payload(election_id: str, fingerprint: str, seed: bytes) -> str:
    """What the QR code holds: a browser client reads the seed and checks the fingerprint."""
    return f"{QR_PREFIX}:{election_id}:{fingerprint}:{seed.hex()}"


@app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", help="File for the authority's secret key.")],
) -> None:
    """Make the authority's Ed25519 key (OS randomness); print the public half for the definition."""
    from achyk.evoting.authority import authority_public_key, new_authority_key

    secret = new_authority_key()
    out.write_text(secret.hex() + "\n", encoding="utf-8")
    out.chmod(0o600)
    console.print(f"credential authority key written to {out}; put this in the definition as "
                  f"election.credential_authority:\n{authority_public_key(secret)}", highlight=False)  # fmt: skip


def _voters(path: Path) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f), 1):
            if not row or not row[0].strip():
                continue
            lang = row[1].strip() if len(row) > 1 and row[1].strip() else "ru"
            if lang not in LANGUAGES:
                raise InputError(str(path), [Problem(f"line {n}", f"language {lang!r} is not one of {', '.join(LANGUAGES)}")])  # fmt: skip
            rows.append((row[0].strip(), lang))
    return rows


def _params(params: Path | None, record: str | None) -> tuple[str, Any]:
    from achyk.cli.vote import params_from_record

    if record is not None:
        return params_from_record(record)
    if params is None:
        raise typer.BadParameter("give --record (the published record) or --params FILE")
    doc = json.loads(params.read_text(encoding="utf-8"))
    return str(doc["election"]), doc["params"]


@app.command("make")
def make(
    key: Annotated[Path, typer.Option("--key", help="The authority's secret key file.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for letters, QR codes and lists.")],
    name: Annotated[str, typer.Option("--name", help="The election's name, for the letters.")],
    record: Annotated[str | None, typer.Option("--record", help="Published record holding the remote parameters.")] = None,
    params: Annotated[Path | None, typer.Option("--params", help="Or: the parameters document (GET …/remote/parameters), checked out of band.")] = None,
    voters: Annotated[Path | None, typer.Option("--voters", help="CSV personal_number,language (ru ky kk en).")] = None,
    count: Annotated[int, typer.Option("--count", help="Anonymous credentials (no register).")] = 0,
) -> None:  # fmt: skip
    """Make every voter's credential (letter + QR code) and the signed public list."""
    import segno

    from achyk.evoting import credentials as creds
    from achyk.evoting.authority import sign_list
    from achyk.evoting.ballot import short_code
    from achyk.evoting.election import ElectionParams

    election_id, doc = _params(params, record)
    fingerprint = ElectionParams.from_dict(doc).fingerprint
    secret = bytes.fromhex(key.read_text(encoding="utf-8").strip())
    people = _voters(voters) if voters is not None else [("", "ru")] * count
    seeds = [creds.new_seed() for _ in people]
    letters = out / "letters"
    letters.mkdir(parents=True, exist_ok=True)
    for i, ((number, lang), seed) in enumerate(zip(people, seeds, strict=True), 1):
        text = letter_text(lang, name, short_code(fingerprint), seed)
        head = f"{number}\n\n" if number else ""
        (letters / f"{i:06d}.txt").write_text(head + text, encoding="utf-8")
        segno.make(qr_payload(election_id, fingerprint, seed), error="m").save(
            str(letters / f"{i:06d}.svg"), scale=4
        )
    parts = sign_list(secret, election_id, fingerprint, [creds.public_credential(x) for x in seeds])
    (out / "public-list.json").write_text(json.dumps(parts, indent=1), encoding="utf-8")
    if voters is not None:
        numbers = sorted(n for n, _ in people)  # sorted: no link to the list's order
        (out / "voters.json").write_text(json.dumps(numbers), encoding="utf-8")
    console.print(f"{len(seeds)} credential letter(s) in {letters} (print and send them; they stay "
                  f"off the server); signed public list {out / 'public-list.json'} in "
                  f"{len(parts)} part(s) for the server; fingerprint {short_code(fingerprint)}")  # fmt: skip
