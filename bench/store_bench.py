"""The store back ends side by side (issue 14): the 20-writer race and a room of 40, on SQLite and PostgreSQL.

One run does every scenario on both back ends, each on a fresh store: an SQLite file in a temporary
folder, and a database of its own in a throw-away PostgreSQL on 127.0.0.1 (``tests/postgres.py``:
``fsync=on``, set up with ``toolkit.store.postgres.setup`` and opened as a facilitator's role, as a
workshop's kernels open it). Both back ends commit before a write method returns (SQLite: WAL with
``synchronous=FULL``; PostgreSQL: synchronous commit), so the time a call takes *is* the time from
the answer to its commit.

* **Alone**: one writer process, ``--answers`` answers with nobody else writing: what one call costs
  on each back end (its round trips and its commit), with no waiting for the write lock.
* **Race** (as ``tests/store/test_store_concurrency.py``): ``--writers`` processes, each opening its
  own store, registering one participant and saying "ready"; on a start signal each writes
  ``--answers`` answers (WHO-5 items over timepoints) with ``record_answer`` as fast as it can.
* **Room**: ``--people`` participant processes, each standing for one participant's kernel: it opens
  its own store and loads the ECR-RS while warming (before the start signal, as a warm kernel ran its
  notebook), then its participant arrives (spread evenly over ``--arrive-within`` seconds), the page
  looks the device up (``device_code``), the participant joins (``enrol`` with a new device key and
  recovery phrase, as ``toolkit/widgets/join.py``: this includes the phrase's scrypt hash), the form
  restores (``saved_answers``), nine answers follow at a human-ish pace (``--think`` seconds between
  taps, uniform), and ``submit``. This is the store level only, not through Voilà: the browser and
  websocket figures of a room are ``bench/room_bench.py``'s.

Before the start signal every process also imports ``toolkit.core.couples`` (and with it pandas):
``ResponseStore._hold_pairing`` imports it inside the write transaction of a process's first write,
which holds the workshop's write lock for that import (0.3 s and more) on either back end and would
swamp the comparison. ``--cold`` leaves it out to show that effect.

Per store call, in the process that makes it: from the call to its return (``time.perf_counter``).
Reported: answers per second over the whole scenario (first call to last return, across processes,
on the system-wide monotonic clock), p50/p95/p99/max of the latencies, and what was read back as the
database's administrator afterwards: answers expected, stored, *lost* (expected keys missing or with
another value), *doubled* (rows beyond the distinct keys) and unexpected.

It is a benchmark, not a test: it prints figures (and a Markdown table with PostgreSQL/SQLite
ratios) and asserts only that the runs finished. Bounded: every group of processes has a time
limit (``--limit``), and every process and the PostgreSQL server it started are stopped on the way
out, also on an error.

Run: ``.venv/bin/python bench/store_bench.py`` (2 to 4 minutes on a busy 2-core VM, most of it 40
processes importing pandas while they warm; needs Debian's ``postgresql``,
``make postgres``). ``--json PATH`` also writes the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import selectors
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
from percentiles import pct  # noqa: E402 - bench/ is on the path of a script run from it

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
FACILITATOR, FACILITATOR_PW = "bench_facilitator", "bench-pw-14"
RACE_ITEMS = [f"who5_{i}" for i in range(1, 6)]
ROOM_ITEMS = [f"ecr_rs_{i}" for i in range(1, 10)]

# One process: a writer of the race, or one participant's kernel in the room. It opens its own
# store (and, in the race, registers) before "ready", waits for the start signal (a line on its stdin),
# does its part and
# prints one JSON line: [op, start on the monotonic clock, seconds] per store call.
WORKER = r"""
import json, random, sys, time
from toolkit.store import ResponseStore
from toolkit.instruments import load_instrument
from toolkit.core.resume import new_device_key, new_phrase

mode, location, n, warm = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "warm"
calls = []
if warm:  # what the first write would import while holding the write lock (see --cold)
    import toolkit.core.couples

def timed(op, fn, *args, **kwargs):
    start = time.perf_counter()
    at = time.monotonic()
    result = fn(*args, **kwargs)
    calls.append((op, at, time.perf_counter() - start))
    return result

start = time.perf_counter()
store = ResponseStore(location)
opened = time.perf_counter() - start
if mode == "race":
    answers = int(sys.argv[5])
    who5 = load_instrument("who5")
    code = f"race-writer-{10 + n}"
    store.register(code, storage_consent=True)
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal: blocks without using the CPU
    for k in range(answers):
        t, i = divmod(k, 5)
        timed("answer", store.record_answer, code, who5, f"who5_{i + 1}", (n + t + i + 1) % 6, timepoint=f"t{t}")
else:
    delay, think_lo, think_hi = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
    rng = random.Random(1400 + n)
    ecr = load_instrument("ecr_rs")
    code, device, phrase = f"room-person-{10 + n}", new_device_key(), new_phrase()
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal: blocks without using the CPU
    time.sleep(delay)
    timed("device_code", store.device_code, device)
    timed("enrol", store.enrol, code, device=device, phrase=phrase, checkin_consent=False)
    timed("saved_answers", store.saved_answers, code, ecr, "pre")
    for i in range(1, 10):
        time.sleep(rng.uniform(think_lo, think_hi))
        timed("answer", store.record_answer, code, ecr, f"ecr_rs_{i}", (n + i) % 7 + 1, timepoint="pre")
    time.sleep(rng.uniform(think_lo, think_hi))
    timed("submit", store.submit, code, ecr, "pre")
store.close()
print(json.dumps({"open": opened, "calls": calls}), flush=True)
"""


# -- figures -------------------------------------------------------------------------------------

def latency(values) -> dict:
    """p50/p95/p99/max in milliseconds."""
    if not values:
        return {"n": 0}
    return {"n": len(values), **{k: round(pct(values, q) * 1000, 2) for k, q in
                                 (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))}}


def pressure() -> str:
    with contextlib.suppress(OSError):
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return some.split()[1].replace("avg10=", "") + " %"
    return "n/a"


def machine() -> dict:
    mem = ""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        mem = subprocess.run(["free", "-g"], check=True, capture_output=True, text=True).stdout.splitlines()[1]
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    import psycopg

    return {"nproc": os.cpu_count(), "cpu": model, "free -g": " ".join(mem.split()),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "psycopg": psycopg.__version__}


# -- processes -----------------------------------------------------------------------------------

class Group:
    """Worker processes started together; all killed (by pid) if anything goes wrong or runs late."""

    def __init__(self, argv_list: list[list[str]], limit: float):
        self.limit = limit
        self.procs = [subprocess.Popen([sys.executable, "-c", WORKER, *argv], cwd=REPO, env=ENV, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                      for argv in argv_list]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.limit
        waiting = set(range(len(self.procs)))
        with selectors.DefaultSelector() as sel:
            for i in waiting:
                sel.register(self.procs[i].stdout, selectors.EVENT_READ, i)
            while waiting:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(waiting)} workers not ready within {self.limit} s")
                for key, _ in sel.select(timeout=min(left, 1.0)):
                    i = key.data
                    line = self.procs[i].stdout.readline()
                    if line != "ready\n":
                        raise RuntimeError(f"worker {i} did not start: {line!r} {self.procs[i].stderr.read()[-2000:]}")
                    sel.unregister(key.fileobj)
                    waiting.discard(i)

    def go(self) -> None:
        for proc in self.procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()  # communicate() closes it

    def results(self) -> list[dict]:
        deadline = time.monotonic() + self.limit
        out = []
        for i, proc in enumerate(self.procs):
            stdout, stderr = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
            if proc.returncode != 0 or not stdout.strip():
                raise RuntimeError(f"worker {i} failed ({proc.returncode}): {stderr[-2000:]}")
            out.append(json.loads(stdout.strip().splitlines()[-1]))
        return out

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream and not stream.closed:
                    with contextlib.suppress(OSError):
                        stream.close()


# -- back ends -----------------------------------------------------------------------------------

class SQLiteSide:
    kind = "sqlite"

    def __init__(self, folder: Path):
        self.folder = folder

    def fresh(self, name: str) -> str:
        self.path = self.folder / f"{name}.sqlite"
        return str(self.path)

    def query(self, sql: str) -> list[tuple]:
        con = sqlite3.connect(self.path)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


class PostgresSide:
    kind = "postgresql"

    def __init__(self, server):
        self.server = server
        self.facilitator_added = False

    def fresh(self, name: str) -> str:
        from toolkit.store import postgres as pg_store

        self.database = self.server.create_database(f"bench_{name}")
        admin = self.server.url(database=self.database)
        pg_store.setup(admin)
        if not self.facilitator_added:  # a role belongs to the cluster: added once
            pg_store.add_facilitator(admin, FACILITATOR, FACILITATOR_PW)
            self.facilitator_added = True
        self.workshop = name
        return self.server.url(FACILITATOR, FACILITATOR_PW, database=self.database, workshop=name)

    def query(self, sql: str) -> list[tuple]:
        """As the superuser (row-level security does not bind it), this workshop's rows."""
        import psycopg

        with psycopg.connect(self.server.url(database=self.database), autocommit=True) as con:
            con.execute("SET search_path = attune")
            return con.execute(sql.replace("WORKSHOP", "workshop = %s"), (self.workshop,)).fetchall()


def _where(side) -> str:
    """The filter to one workshop's rows (PostgreSQL; ``query`` fills it in); an SQLite file holds one."""
    return "WHERE WORKSHOP" if side.kind == "postgresql" else "WHERE 1 = 1"


def check_answers(side, expected: set[tuple]) -> dict:
    """Read the answers back as the administrator: expected, stored, lost, doubled, unexpected."""
    where = _where(side)
    rows = side.query(f"SELECT participant, item, timepoint, value FROM answers {where}")
    stored = {(p, i, t, float(v)) for p, i, t, v in rows}
    distinct = side.query(f"SELECT COUNT(DISTINCT participant || '/' || item || '/' || timepoint) FROM answers {where}")[0][0]
    return {"expected": len(expected), "stored": len(rows), "lost": len(expected - stored),
            "doubled": len(rows) - distinct, "unexpected": len(stored - expected)}


# -- scenarios -----------------------------------------------------------------------------------

def run_group(commands: list[list[str]], limit: float) -> list[dict]:
    """Start one worker per command, let them all go at once when every one is ready, collect, stop."""
    group = Group(commands, limit)
    try:
        group.wait_ready()
        group.go()
        return group.results()
    finally:
        group.stop()


def race(side, args, writers: int, name: str = "race") -> dict:
    location = side.fresh(name)
    results = run_group([["race", location, str(n), args.imports, str(args.answers)] for n in range(writers)], args.limit)
    calls = [c for r in results for c in r["calls"]]
    first, last = min(c[1] for c in calls), max(c[1] + c[2] for c in calls)
    done = sorted(max(c[1] + c[2] for c in r["calls"]) - first for r in results)
    per_answer = [c[2] for c in calls]
    expected = {(f"race-writer-{10 + n}", f"who5_{k % 5 + 1}", f"t{k // 5}", float((n + k // 5 + k % 5 + 1) % 6))
                for n in range(writers) for k in range(args.answers)}
    return {"answers": len(per_answer), "seconds": round(last - first, 3),
            "answers_per_s": round(len(per_answer) / (last - first), 1),
            "first_writer_done_s": round(done[0], 3), "last_writer_done_s": round(done[-1], 3),
            "answer_ms": latency(per_answer), "open_ms": latency([r["open"] for r in results]),
            "check": check_answers(side, expected),
            "participants": side.query(f"SELECT COUNT(*) FROM participants {_where(side)}")[0][0]}


def room(side, args) -> dict:
    location = side.fresh("room")
    gap = args.arrive_within / max(args.people - 1, 1)
    results = run_group([["room", location, str(n), args.imports, f"{n * gap:.3f}", str(args.think[0]), str(args.think[1])]
                         for n in range(args.people)], args.limit)
    calls = [c for r in results for c in r["calls"]]
    first, last = min(c[1] for c in calls), max(c[1] + c[2] for c in calls)
    ops = ["device_code", "enrol", "saved_answers", "answer", "submit"]
    by_op = {op: latency([c[2] for c in calls if c[0] == op]) for op in ops}
    answers = [c[2] for c in calls if c[0] == "answer"]
    expected = {(f"room-person-{10 + n}", f"ecr_rs_{i}", "pre", float((n + i) % 7 + 1))
                for n in range(args.people) for i in range(1, 10)}
    where = _where(side)
    submissions = side.query(f"SELECT COUNT(*), COUNT(DISTINCT participant) FROM submissions {where}")[0]
    return {"answers": len(answers), "seconds": round(last - first, 3),
            "answers_per_s": round(len(answers) / (last - first), 1),
            "answer_ms": by_op["answer"], "all_calls_ms": latency([c[2] for c in calls]), "by_op_ms": by_op,
            "open_ms": latency([r["open"] for r in results]), "check": check_answers(side, expected),
            "participants": side.query(f"SELECT COUNT(*) FROM participants {where}")[0][0],
            "devices": side.query(f"SELECT COUNT(*) FROM devices {where}")[0][0],
            "submissions": submissions[0], "submissions_distinct": submissions[1]}


# -- report --------------------------------------------------------------------------------------

def _ratio(pg, lite) -> str:
    try:
        return f"{pg / lite:.2f}"
    except (TypeError, ZeroDivisionError):
        return "–"


def table(figures: dict, args) -> str:
    rows = ["| scenario | figure | SQLite | PostgreSQL | PostgreSQL / SQLite |", "|---|---|---:|---:|---:|"]

    def add(scenario, name, get, ratio=True):
        lite, pg = get(figures[scenario]["sqlite"]), get(figures[scenario]["postgresql"])
        rows.append(f"| {scenario} | {name} | {lite} | {pg} | {_ratio(pg, lite) if ratio else ''} |")

    for scenario in ("alone", "race", "room"):
        add(scenario, "answers per second", lambda f: f["answers_per_s"])
        if scenario == "race":
            add(scenario, "first / last writer done, s",
                lambda f: f"{f['first_writer_done_s']} / {f['last_writer_done_s']}", ratio=False)
        for q in ("p50", "p95", "p99", "max"):
            label = f"**{q} ms**" if q == "p95" else f"{q} ms"
            add(scenario, f"answer → committed, {label}", lambda f, q=q: f["answer_ms"][q])
        if scenario == "room":
            add(scenario, "every store call, **p95 ms**", lambda f: f["all_calls_ms"]["p95"])
            for op in ("device_code", "enrol", "saved_answers", "submit"):
                add(scenario, f"`{op}` p95 ms", lambda f, op=op: f["by_op_ms"][op]["p95"])
        add(scenario, "open the store, p95 ms", lambda f: f["open_ms"]["p95"])
        add(scenario, "answers stored / expected", lambda f: f"{f['check']['stored']} / {f['check']['expected']}",
            ratio=False)
        add(scenario, "lost / doubled / unexpected",
            lambda f: f"{f['check']['lost']} / {f['check']['doubled']} / {f['check']['unexpected']}", ratio=False)
    rows.append("")
    rows.append(f"alone: 1 writer process x {args.answers} answers (no one waiting: a call's own cost); "
                f"race: {args.writers} writer processes x {args.answers} answers; room: {args.people} participant "
                f"processes arriving within {args.arrive_within:g} s, 9 answers each, think "
                f"{args.think[0]:g}–{args.think[1]:g} s (store level, not through Voilà); "
                + ("cold imports: each process's first write imports pandas." if args.cold else
                   "toolkit.core.couples (pandas) imported before the start."))
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=20, help="race: writer processes (default 20)")
    parser.add_argument("--answers", type=int, default=100, help="race: answers per writer (default 100)")
    parser.add_argument("--people", type=int, default=40, help="room: participant processes (default 40, at most 90)")
    parser.add_argument("--arrive-within", type=float, default=4.0, help="room: arrivals spread over (s, default 4)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.05, 0.3), metavar=("MIN", "MAX"),
                        help="room: seconds between taps (default 0.05 0.3)")
    parser.add_argument("--limit", type=float, default=180.0, help="time limit per group of processes (s)")
    parser.add_argument("--cold", action="store_true",
                        help="do not import toolkit.core.couples (and so pandas) before the start: each process's "
                             "first write then imports it inside its write transaction, as a fresh kernel does today")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.imports = "cold" if args.cold else "warm"
    if not 1 <= args.people <= 90:
        parser.error("--people: 1 to 90 (codes room-person-10 .. -99)")

    from tests.postgres import PostgresServer, postgres_bin

    if postgres_bin() is None:
        print("store_bench: PostgreSQL is not installed; `make postgres` installs Debian's package", file=sys.stderr)
        return 2

    started = time.monotonic()
    info = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), **machine(),
            "load at start": " / ".join(f"{x:.1f}" for x in os.getloadavg()), "cpu pressure at start": pressure()}
    print("Store back ends (issue 14): the race and the room at the store level, SQLite vs PostgreSQL on loopback")
    for k, v in info.items():
        print(f"  {k}: {v}")
    tmp = Path(tempfile.mkdtemp(prefix="attune-store-bench-"))
    figures: dict = {"alone": {}, "race": {}, "room": {}}
    scenarios = (("alone", lambda side: race(side, args, 1, "alone")),
                 ("race", lambda side: race(side, args, args.writers)),
                 ("room", lambda side: room(side, args)))
    try:
        with PostgresServer() as server:
            info["postgresql"] = server.sql("SHOW server_version").strip()
            sides = [SQLiteSide(tmp), PostgresSide(server)]
            for scenario, run in scenarios:
                for side in sides:
                    t0 = time.monotonic()
                    figures[scenario][side.kind] = result = run(side)
                    print(f"\n{scenario} on {side.kind} ({time.monotonic() - t0:.1f} s, load "
                          f"{os.getloadavg()[0]:.1f}, cpu pressure {pressure()}):")
                    print("  " + json.dumps(result))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    info["load at end"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    info["cpu pressure at end"] = pressure()
    info["seconds"] = round(time.monotonic() - started, 1)
    print(f"\nload at end {info['load at end']}, cpu pressure {info['cpu pressure at end']}, "
          f"{info['seconds']} s in all\n")
    print(table(figures, args))
    goal = figures["race"]["postgresql"]["answer_ms"]["p95"] / figures["race"]["sqlite"]["answer_ms"]["p95"]
    goal_room = figures["room"]["postgresql"]["answer_ms"]["p95"] / figures["room"]["sqlite"]["answer_ms"]["p95"]
    print(f"\nGoal PostgreSQL p95 within 2x of SQLite's: race {goal:.2f}x ({'met' if goal <= 2 else 'not met'}), "
          f"room {goal_room:.2f}x ({'met' if goal_room <= 2 else 'not met'})")
    if args.json:
        args.json.write_text(json.dumps({"info": info, "args": vars(args) | {"json": str(args.json)},
                                         "figures": figures}, indent=1, default=str))
    # Sanity only: every expected answer was read back on both sides.
    for scenario in figures.values():
        for result in scenario.values():
            assert result["check"]["stored"] == result["check"]["expected"], result["check"]
    return 0


if __name__ == "__main__":
    sys.exit(main())
