"""The room benchmark (issue 11): 40 phones scan the code within 30 s; how long until each can start?

Starts the real ``attune serve`` on 127.0.0.1 (``tests/browser/harness.py``) with the browser-test
notebooks (join + the 9-item ECR-RS, ``10_closeness``), waits until its warm kernels are ready,
then plays ``--people`` protocol participants (Voilà's kernel websocket, the messages a page sends)
arriving evenly within ``--arrive-within`` seconds. Each opens the page and fetches the widgets'
state; ``--join`` also joins, answers the nine items and submits (scoring and feedback).

Per participant, on the client's clock:

* *first byte*: request to the page's first bytes (Voilà rendered the template and picked a kernel);
* *page*: to the complete HTML (the notebook's cells executed: waited for when the kernel was cold
  or still warming);
* *widget state*: from the complete HTML to every widget's state received over the websocket;
* *usable*: the sum, request to widget state (the figure the goal is about).

Whether a page got a preheated kernel comes from Voilà's log ("Using pre-heated kernel").
Memory is the whole server (command, Voilà, every kernel): the sum of PSS (shared pages shared
out), sampled every 0.5 s; the peak is reported. It is not a test and asserts nothing; it prints
a JSON summary and appends it to bench/room_runs.jsonl. Bounded: ``--people`` participants on
loopback, a time limit for the room, and the server is stopped (SIGTERM, then SIGKILL).

Run: ``.venv/bin/python bench/room_bench.py --pool-size 4`` (today's default serve) or
``.venv/bin/python bench/room_bench.py --room 40 --session 10`` (a pool sized to the room).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "browser"))
sys.path.insert(0, str(REPO))

import harness as h  # noqa: E402
from percentiles import pct  # noqa: E402 - bench/ is on the path of a script run from it

RUNS = HERE / "room_runs.jsonl"


def stats(values) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": round(statistics.median(values), 3), "p95": round(pct(values, 0.95), 3),
            "max": round(max(values), 3)}


def pressure() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    return "n/a"


class MemoryWatch:
    """Sum of PSS over the server's processes every ``every`` seconds; keeps the peak and the last."""

    def __init__(self, server: h.AttuneServer, every: float = 0.5):
        self.server, self.every = server, every
        self.peak = self.last = 0.0
        self.kernels_at_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[float, int, list[float]]:
        import psutil

        total, kernels = 0.0, []
        for proc in self.server.processes():
            with contextlib.suppress(psutil.Error):
                pss = proc.memory_full_info().pss / 2**20
                total += pss
                if "ipykernel_launcher" in h._cmdline(proc):
                    kernels.append(pss)
        return total, len(kernels), kernels

    def _run(self):
        while not self._stop.is_set():
            total, count, _ = self.sample()
            self.last = total
            if total > self.peak:
                self.peak, self.kernels_at_peak = total, count
            self._stop.wait(self.every)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(10)


def wait_ready(server: h.AttuneServer, expected: int | None, timeout: float) -> float:
    """Seconds until the server says its warm pool is complete ("ready for N of N"), else until its
    kernels have gone quiet (a server without the ready line). From the server process's start."""
    import psutil

    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        log = server.log()
        if re.search(r"ready for (\d+) of \1\b", log):
            return time.monotonic() - server.started_at
        kernels = server.kernels()
        if expected is not None and len(kernels) >= expected:
            with contextlib.suppress(psutil.Error):
                for k in kernels:
                    k.cpu_percent(None)
                time.sleep(1.0)
                if sum(k.cpu_percent(None) for k in kernels) < 5:
                    seen += 1
                    if seen >= 2:
                        return time.monotonic() - server.started_at - 2.0
                    continue
        seen = 0
        time.sleep(0.5)
    raise TimeoutError("the warm pool did not fill in time")


async def play(server, codes, arrive_within, join, notebook, limit):
    import httpx

    people = [h.ProtocolParticipant(server, code, notebook) for code in codes]
    errors: dict[str, str] = {}
    gap = arrive_within / max(len(people) - 1, 1)

    async def one(i, person, http):
        await asyncio.sleep(i * gap)
        person.timings["arrived"] = time.monotonic()
        try:
            await person.open(http, timeout=limit)
            if join:
                await person.join(timeout=limit)
                for number in range(1, h.ECR_ITEMS + 1):
                    await person.answer(number, (i + number) % 7, timeout=limit)
                await person.submit(timeout=limit)
        except Exception as exc:  # noqa: BLE001 - reported per participant
            errors[person.code] = f"{type(exc).__name__}: {exc}"
        finally:
            await person.close()

    async with httpx.AsyncClient(timeout=limit, limits=httpx.Limits(max_connections=len(people) + 4)) as http:
        await asyncio.wait_for(asyncio.gather(*(one(i, p, http) for i, p in enumerate(people))), limit)
    return people, errors


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="attune-room-bench-"))
    folder = h.workshop_folder(work / "notebooks")
    options = []
    if args.room:
        options += ["--room", str(args.room)]
    if args.session:
        options += ["--session", args.session]
    notebooks = len(list(folder.glob("[0-9]*.ipynb")))
    result: dict = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "label": args.label,
                    "serve": " ".join(["--pool-size", str(args.pool_size), *options]),
                    "people": args.people, "arrive_within_s": args.arrive_within, "join": args.join,
                    "load_start": [round(x, 2) for x in os.getloadavg()], "pressure_start": pressure()}
    server = h.AttuneServer(notebooks=folder, store=work / "room.sqlite", pool_size=args.pool_size,
                            options=tuple(options))
    memory = None
    try:
        server.start(timeout=120)
        expected = None if args.session else args.pool_size * notebooks
        result["ready_s"] = round(wait_ready(server, expected, timeout=600), 1)
        time.sleep(2.0)
        watch = MemoryWatch(server)
        total, count, kernels = watch.sample()
        result["memory_ready"] = {"server_pss_mb": round(total), "kernels": count,
                                  "kernel_pss_mb": stats(kernels)}
        memory = watch.start()
        codes = [f"bench-seat-{i:02d}" for i in range(1, args.people + 1)]
        started = time.monotonic()
        people, errors = h.run_async(play, server, codes, args.arrive_within, args.join, h.CLOSENESS, args.limit)
        result["room_s"] = round(time.monotonic() - started, 1)
        total, count, kernels = memory.sample()
        result["memory_after"] = {"server_pss_mb": round(total), "kernels": count, "kernel_pss_mb": stats(kernels),
                                  "peak_server_pss_mb": round(max(memory.peak, total)),
                                  "kernels_at_peak": memory.kernels_at_peak}
        warm_ids = set(re.findall(r"Using pre-heated kernel: ([0-9a-f-]+)", server.log()))
        got = [p for p in people if "usable" in p.timings]
        warm = [p for p in got if p.kernel_id in warm_ids]
        cold = [p for p in got if p.kernel_id not in warm_ids]

        def part(group):
            return {"first_byte": stats([p.timings["first_byte"] for p in group]),
                    "page": stats([p.timings["page"] for p in group]),
                    "widget_state": stats([p.timings["usable"] - p.timings["page"] for p in group]),
                    "usable": stats([p.timings["usable"] for p in group])}

        result.update({"errors": errors, "usable": stats([p.timings["usable"] for p in got]),
                       "preheated": part(warm), "cold": part(cold)})
        if args.join:
            result["answer_stored"] = stats([t for p in got for t in p.timings["answer_stored"]])
            result["feedback"] = stats([p.timings["feedback"] for p in got if "feedback" in p.timings])
        ready_lines = re.findall(r"^.*ready for \d+ of \d+.*$", server.log(), re.M)
        result["ready_lines"] = {"count": len(ready_lines), "first": ready_lines[:1], "last": ready_lines[-1:]}
    finally:
        if memory is not None:
            memory.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result["load_end"] = [round(x, 2) for x in os.getloadavg()]
    result["pressure_end"] = pressure()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool-size", type=int, default=4, help="attune serve --pool-size (default 4)")
    parser.add_argument("--room", type=int, help="attune serve --room")
    parser.add_argument("--session", help="attune serve --session (e.g. 10 for the bench's notebook)")
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--arrive-within", type=float, default=30.0)
    parser.add_argument("--join", action="store_true", help="also join, answer nine items and submit")
    parser.add_argument("--limit", type=float, default=300.0, help="time limit for the room (s)")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=1))
    with RUNS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
