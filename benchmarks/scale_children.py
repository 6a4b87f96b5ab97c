"""The programs `bench_scale.py` runs as child processes (`python -c`), each timed and measured
from outside: the synthetic election's generation, the bulk ingest, the device clients over HTTP
and a cold `achyk results`. Each is the text of a script, run against the installed achyk."""

GENERATE = """
import json, sys
from pathlib import Path
from achyk.formats.definition import election_to_document
from achyk.sim.generator import generate
from achyk.sim.profiles import PROFILES
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
sim = generate(PROFILES[sys.argv[1]])
(out / "definition.json").write_text(json.dumps(election_to_document(sim.election)))
with open(out / "protocols.jsonl", "wb") as f:
    for source, raw in sim.submissions:
        f.write(raw + b"\\n")
(out / "switches.json").write_text(json.dumps([sw.__dict__ for sw in sim.switches]))
(out / "done").write_text(str(len(sim.submissions)))
"""

INGEST = """
import itertools, json, os, sys, time
from achyk.services.ingest import ingest_protocols
from achyk.services.protocols import record_device_switch
from achyk.store.database import Database
db = Database.open(sys.argv[1], migrate_schema=False)
cache, batch, upto = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for sw in json.load(open(cache + "/switches.json")):
    record_device_switch(db, None, sw["station_id"], sw["from_device"], sw["to_device"], sw["reason"])
started, before = time.perf_counter(), os.times()  # after the switches: ingestion alone
counts, n = {}, 0
with open(cache + "/protocols.jsonl", "rb") as f:
    lines = ((f"p{i}", line.rstrip(b"\\n")) for i, line in enumerate(itertools.islice(f, upto)))
    for r in ingest_protocols(db, None, lines, batch=batch):
        n += 1
        counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
took, t = time.perf_counter() - started, os.times()  # the workers are reaped by now
cpu = sum(t[:4]) - sum(before[:4])  # this process's and its reaped workers' CPU since then
print(json.dumps({"seconds": took, "protocols": n, "outcomes": counts, "cpu": cpu}))
"""

# Device clients over HTTP: the requests are signed first (as each device would, before it
# sends: each a distinct protocol, timestamp and nonce), then --clients connections kept alive
# post them at once from one asyncio process (a lean client: it shares the server's cores), each
# its share one after another; every answer's status is counted.
HTTP_CLIENTS = """
import asyncio, json, sys, time
import psutil  # (Dask's distributed requires it)
from achyk.cli.transmit import protocol_request
from achyk.sim.generator import device_key
from achyk.sim.profiles import PROFILES
profile, cache, start, port, clients = PROFILES[sys.argv[1]], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def signed(lines):
    out = []
    for line in lines:
        env = json.loads(line)
        r = protocol_request(f"http://127.0.0.1:{port}", device_key(profile, env["device"]), env["device"], env)
        head = f"POST {r.path} HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\nContent-Length: {len(r.body)}\\r\\n"
        head += "".join(f"{k}: {v}\\r\\n" for k, v in r.headers.items()) + "\\r\\n"
        out.append(head.encode() + r.body)
    return out

class Device(asyncio.Protocol):
    # One device's connection: each request sent once the answer to the one before is read
    # whole. A protocol, not asyncio's streams: these clients share the server's two cores, and
    # with streams they spent 2.3-2.4 CPU-s per 100,000 answers against 1.9 (canned answers,
    # side by side, 2026-12-01); and an answer's time is taken as it arrives, not once a
    # coroutine among 1,024 has been resumed to read it.
    def __init__(self, requests, statuses, waited, done):
        self.requests, self.statuses, self.waited, self.done = iter(requests), statuses, waited, done
        self.buffer, self.sent = b"", 0.0

    def connection_made(self, transport):
        self.transport = transport
        self.next()

    def next(self):
        raw = next(self.requests, None)
        if raw is None:
            self.transport.close()
            self.done.set_result(None)
            return
        self.sent = time.perf_counter()
        self.transport.write(raw)

    def data_received(self, data):
        self.buffer += data
        end = self.buffer.find(b"\\r\\n\\r\\n")
        if end < 0:
            return
        head = self.buffer[:end]
        length = 0
        for line in head.split(b"\\r\\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length:]
        status = int(head.split(b" ", 2)[1])
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.waited.append(time.perf_counter() - self.sent)
        self.next()

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_exception(exc or ConnectionError("the server closed the connection"))

async def post_all(requests, statuses, waited):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    await loop.create_connection(lambda: Device(requests, statuses, waited, done), "127.0.0.1", port)
    await done

async def main(requests):
    # Not timed: the server's first transmission reads the definition (once per process); a
    # request to a station that does not exist makes it do so, and is answered 404.
    election = json.loads(lines[0])["protocol"]["election"]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"POST /api/elections/{election}/stations/-/protocols HTTP/1.1\\r\\nHost: x\\r\\n"
            "Content-Length: 0\\r\\nX-Device: d\\r\\nX-Timestamp: 0\\r\\nX-Nonce: warming-up\\r\\n"
            "X-Signature: -\\r\\n\\r\\n".encode())
    assert b" 404 " in await r.readuntil(b"\\r\\n\\r\\n")
    w.close()
    # Nor this: the server starts its examiner processes with the first request that reaches
    # them (and stops them after 5 s without one). A request to a real station, signed with a
    # key that is not its device's, starts them and is refused (401), nothing written.
    env = json.loads(lines[0])
    bad = protocol_request(f"http://127.0.0.1:{port}", device_key(profile, "not-a-device"),
                           env["device"], env)
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"POST {bad.path} HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: {len(bad.body)}\\r\\n".encode()
            + "".join(f"{k}: {v}\\r\\n" for k, v in bad.headers.items()).encode() + b"\\r\\n" + bad.body)
    assert b" 401 " in await r.readuntil(b"\\r\\n\\r\\n")
    w.close()
    statuses, waited = {}, []
    cpu = time.process_time()
    machine = psutil.cpu_times()  # every process's, the server's and the database's included
    started = time.perf_counter()
    await asyncio.gather(*(post_all(requests[i::clients], statuses, waited) for i in range(clients)))
    took = time.perf_counter() - started
    after = psutil.cpu_times()
    idle = (after.idle + after.iowait) - (machine.idle + machine.iowait)
    busy = sum(getattr(after, f) - getattr(machine, f)  # (guest time is within user's)
               for f in ("user", "nice", "system", "irq", "softirq"))
    waited.sort()
    print(json.dumps({"seconds": took, "protocols": len(requests), "statuses": statuses,
                      "client_cpu": time.process_time() - cpu,
                      "machine_busy": busy, "machine_idle": idle,
                      "p50_ms": 1000 * waited[len(waited) // 2],
                      "p99_ms": 1000 * waited[len(waited) * 99 // 100]}))

with open(cache + "/protocols.jsonl", "rb") as f:
    lines = f.readlines()[start:]
try:
    import uvloop
    run = uvloop.run
except ImportError:
    run = asyncio.run
run(main(signed(lines)))
"""


COLD_RESULTS = """
import sys, time
started = time.perf_counter()
from achyk.services.outline import quick_results  # what `achyk results` reads (no SQLAlchemy)
imported = time.perf_counter()
quick = quick_results(sys.argv[1], None)
if quick is None:  # the usual way, as `achyk results` would then take it
    from achyk.services.results import outline_results
    from achyk.store.database import Database
    e, tab = outline_results(Database.open(sys.argv[1], migrate_schema=False), None)
else:
    e, tab = quick.election, quick.tabulation
national = tab.national(e.contests[0].id)
regions = tab.children("national", e.contests[0].id)
done = time.perf_counter()
print(f"{done - imported:.3f} {imported - started:.3f} {national.counted.stations} {len(regions)}")
"""
