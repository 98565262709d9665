"""Participant-server benchmark (issue 6): what a participant waits for, and what a kernel costs.

Runs the real ``attune serve`` on loopback (tests/browser/harness.py starts it, drives
Debian's Chromium through Playwright and plays a room over Voilà's websocket) and measures:

* time from opening the link to a usable questionnaire (the first item's options drawn and
  live) in the browser: one participant with a preheated kernel, one with a cold kernel
  (pool 0), and participants opening the page while 40 others arrive within 30 s;
* time from an answer (the tap) to its row being in the store, in the browser, alone and
  with 40 other participants connected; plus the same seen from the 40 protocol clients;
* time from "See my results" to the feedback shown, alone and with 40 connected;
* memory of participant kernels (RSS, PSS, USS): preheated and idle, after answering, after
  the feedback (which loads pandas and plotly);
* ``import toolkit`` time in a fresh interpreter.

It prints the figures and writes the "## Participant server (issue 6)" section of
bench/RESULTS.md (replacing an earlier one, leaving the other sections alone). It is not a
test and asserts nothing. Run: ``.venv/bin/python bench/server_bench.py`` (about 6 minutes);
``--quick`` does fewer repetitions. The goals it reports against: a usable page within
1.5 s (median, one participant, preheated); an answer stored within 100 ms at the 95th
percentile with 40 participants connected; at most 100 MB per participant kernel;
``import toolkit`` under 0.3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
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

RESULTS = HERE / "RESULTS.md"
SECTION = "## Participant server (issue 6)"
ROOM = 40


# -- small statistics ------------------------------------------------------------------------

def summary(values, unit="s", scale=1.0):
    if not values:
        return "n/a"
    return (f"median {statistics.median(values) * scale:.3g} {unit}, p95 {pct(values, 0.95) * scale:.3g} {unit} "
            f"(n={len(values)}, max {max(values) * scale:.3g} {unit})")


# -- the machine -----------------------------------------------------------------------------

def machine() -> dict:
    import importlib.metadata as md

    import psutil

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    chromium = subprocess.run([h.CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": f"{psutil.cpu_count()} vCPUs, {cpu}",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": ", ".join(f"{p} {md.version(p)}" for p in ("voila", "ipywidgets", "ipykernel", "jupyter_server",
                                                               "playwright")),
        "chromium": chromium,
        "load": "load average {:.1f} / {:.1f} / {:.1f} (1/5/15 min) at the start".format(*os.getloadavg()),
    }


# -- import toolkit ----------------------------------------------------------------------------

def import_times(runs: int) -> dict:
    code = ("import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)")
    out = {}
    for module in ("toolkit", "toolkit.widgets.session, toolkit.widgets"):
        times = []
        for _ in range(runs):
            result = subprocess.run([sys.executable, "-c", code.format(m=module)], capture_output=True, text=True,
                                    cwd=REPO, check=True)
            times.append(float(result.stdout.strip()))
        out[module] = times
    return out


# -- the browser -------------------------------------------------------------------------------

class Browser:
    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.chromium = self._pw.chromium.launch(executable_path=h.CHROMIUM, args=h.CHROMIUM_ARGS, headless=True,
                                                 proxy=h.NOWHERE_PROXY)

    def participant(self, server, viewport=h.PHONE) -> h.Participant:
        context = self.chromium.new_context(viewport=viewport)
        # The moment of each tap, on the machine's clock (the store is watched on the same clock).
        context.add_init_script("document.addEventListener('click', () => { window.__tap = Date.now(); }, true);")
        return h.Participant(context.new_page(), server, Path(tempfile.mkdtemp(prefix="bench-shots-")))

    @staticmethod
    def close(person: h.Participant) -> None:
        with contextlib.suppress(Exception):
            person.page.close(run_before_unload=True)
        with contextlib.suppress(Exception):
            person.page.context.close()

    def stop(self):
        self.chromium.close()
        self._pw.stop()


def time_to_usable(person: h.Participant, notebook: str = h.CLOSENESS) -> float:
    """From navigation start to the first item's options drawn (the kernel connected, widgets live)."""
    started = time.perf_counter()
    person.page.goto(person.server.page_url(notebook), wait_until="commit", timeout=h.PAGE_TIMEOUT_MS)
    person.item(1).get_by_role("radio").first.wait_for(timeout=h.PAGE_TIMEOUT_MS)
    return time.perf_counter() - started


def wait_for_pool(server: h.AttuneServer, in_use: int, pool: int, timeout: float = 120) -> None:
    """Wait until the pool holds ``pool`` kernels beside the ``in_use`` ones, and they have gone quiet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = server.kernels()
        if len(kernels) >= in_use + pool:
            busy = sum(k.cpu_percent(interval=None) for k in kernels)
            time.sleep(1.0)
            busy = sum(k.cpu_percent(interval=None) for k in server.kernels())
            if busy < 5:
                return
        time.sleep(0.5)


class StoreWatch:
    """Polls the store (read-only, every 2 ms) for one participant's item rows; times their arrival."""

    def __init__(self, store: Path, code: str):
        self.db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, check_same_thread=False)
        self.code = code

    def stamp(self, item: str):
        row = self.db.execute("SELECT answered_at FROM answers WHERE participant = ? AND item = ?",
                              (self.code, item)).fetchone()
        return row[0] if row else None

    def wait_changed(self, item: str, before, timeout: float = 30.0) -> float:
        """The wall-clock time (``time.time()``) at which the item's row was first seen changed."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.stamp(item) != before:
                return time.time()
            time.sleep(0.002)
        raise TimeoutError(f"{item} never reached the store")

    def close(self):
        self.db.close()


def browser_answers(person: h.Participant, code: str) -> tuple[list[float], list[float], float]:
    """Join, answer the nine items (tap to row in store; tap to count shown), submit (tap to feedback)."""
    from playwright.sync_api import expect

    person.join(code)
    watch = StoreWatch(person.server.store, code)
    stored, shown = [], []
    try:
        for number in range(1, h.ECR_ITEMS + 1):
            radio = person.item(number).get_by_role("radio", name="4", exact=True)
            radio.scroll_into_view_if_needed()
            before = watch.stamp(f"ecr_rs_{number}")
            started = time.perf_counter()
            changed = {}
            def poll(changed=changed, column=f"ecr_rs_{number}", before=before):
                changed.setdefault("at", watch.wait_changed(column, before))
            poller = threading.Thread(target=poll)
            poller.start()  # watching before the tap, so the row cannot slip in unseen
            radio.check()
            poller.join()
            tapped = person.page.evaluate("window.__tap") / 1000.0
            stored.append(changed["at"] - tapped)
            expect(person.page.get_by_text(f"{number} of 9 answered")).to_be_visible()
            shown.append(time.perf_counter() - started)
    finally:
        watch.close()
    started = time.perf_counter()
    person.submit()
    return stored, shown, time.perf_counter() - started


# -- a connected room ----------------------------------------------------------------------------

class Room:
    """40 protocol participants: arrive within 30 s, join, answer nine items, then stay connected."""

    def __init__(self, server: h.AttuneServer, prefix: str, arrive_within: float = 30.0):
        self.server = server
        self.codes = [f"{prefix}-seat-{i:02d}" for i in range(1, ROOM + 1)]
        self.arrive_within = arrive_within
        self.joined = threading.Event()
        self.release = threading.Event()
        self.people: list[h.ProtocolParticipant] = []
        self.errors: dict[str, str] = {}
        self._thread = threading.Thread(target=lambda: asyncio.run(self._play()), daemon=True)

    def start(self):
        self._thread.start()
        return self

    async def _play(self):
        import httpx

        self.people = [h.ProtocolParticipant(self.server, code) for code in self.codes]
        gap = self.arrive_within / (len(self.people) - 1)
        done = 0

        async def one(i, person, http):
            nonlocal done
            await asyncio.sleep(i * gap)
            person.timings["arrived"] = time.monotonic()
            try:
                await person.open(http, timeout=300)
                await person.join(timeout=300)
                for number in range(1, h.ECR_ITEMS + 1):
                    await person.answer(number, (i + number) % 7, timeout=300)
            except Exception as exc:  # noqa: BLE001
                self.errors[person.code] = f"{type(exc).__name__}: {exc}"
            finally:
                done += 1
                if done == len(self.people):
                    self.joined.set()
            await asyncio.to_thread(self.release.wait)
            await person.close()

        async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=ROOM + 4)) as http:
            await asyncio.gather(*(one(i, p, http) for i, p in enumerate(self.people)))

    def stop(self):
        self.release.set()
        self._thread.join(60)


# -- memory ----------------------------------------------------------------------------------

def kernel_memory(server: h.AttuneServer) -> list[dict]:
    import psutil

    out = []
    for kernel in server.kernels():
        with contextlib.suppress(psutil.Error):
            info = kernel.memory_full_info()
            out.append({"pid": kernel.pid, "rss": info.rss / 2**20, "pss": info.pss / 2**20, "uss": info.uss / 2**20})
    return out


def mem_summary(rows: list[dict]) -> str:
    if not rows:
        return "n/a"
    med = {k: statistics.median(r[k] for r in rows) for k in ("rss", "pss", "uss")}
    top = {k: max(r[k] for r in rows) for k in ("rss", "pss", "uss")}
    return (f"RSS {med['rss']:.0f} MB (max {top['rss']:.0f}), PSS {med['pss']:.0f} MB (max {top['pss']:.0f}), "
            f"USS {med['uss']:.0f} MB (max {top['uss']:.0f}); n={len(rows)}")


# -- the runs --------------------------------------------------------------------------------

def run(args) -> dict:
    results: dict = {"machine": machine(), "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    print(results["machine"])
    results["import"] = import_times(args.import_runs)
    print("import", {k: summary(v) for k, v in results["import"].items()})

    work = Path(tempfile.mkdtemp(prefix="attune-bench-"))
    browser = Browser()
    try:
        # 1. One participant, preheated kernels (pool 1: the kernel that serves a page was warm).
        warm = h.AttuneServer(notebooks=h.workshop_folder(work / "warm"), store=work / "warm.sqlite",
                              pool_size=1).start()
        try:
            times, stored, shown, feedback = [], [], [], []
            for i in range(args.runs):
                wait_for_pool(warm, in_use=0, pool=len(list((work / "warm").glob("[0-9]*.ipynb"))))
                person = browser.participant(warm)
                times.append(time_to_usable(person))
                if i < args.answer_runs:
                    s, w, f = browser_answers(person, f"warm-solo-{i:02d}")
                    stored += s
                    shown += w
                    feedback.append(f)
                    if i == 0:
                        results["mem_after_feedback"] = [m for m in kernel_memory(warm) if m["rss"] > 90]
                browser.close(person)
            results["usable_warm"] = times
            results["stored_solo"], results["shown_solo"], results["feedback_solo"] = stored, shown, feedback
            results["mem_idle"] = kernel_memory(warm)
            print("usable, preheated:", summary(times))
            print("answer stored, alone:", summary(stored, "ms", 1000), "| shown:", summary(shown, "ms", 1000))
            print("feedback, alone:", summary(feedback))
        finally:
            warm.stop()

        # 2. Cold kernels (pool 0: the kernel starts when the page is asked for).
        cold = h.AttuneServer(notebooks=h.workshop_folder(work / "cold"), store=work / "cold.sqlite",
                              pool_size=0).start()
        try:
            times = []
            for _ in range(args.runs):
                person = browser.participant(cold)
                times.append(time_to_usable(person))
                browser.close(person)
                time.sleep(1.0)  # let the closed page's kernel shut down before the next one starts
            results["usable_cold"] = times
            print("usable, cold:", summary(times))
        finally:
            cold.stop()

        # 3. A room of 40 arriving within 30 s (pool 4), browsers opening pages meanwhile; then,
        #    with the 40 connected, a browser participant answers and submits.
        roomy = h.AttuneServer(notebooks=h.workshop_folder(work / "room"), store=work / "room.sqlite",
                               pool_size=args.room_pool).start()
        try:
            wait_for_pool(roomy, in_use=0, pool=args.room_pool * 2)
            room = Room(roomy, "bench").start()
            times = []
            started = time.monotonic()
            while time.monotonic() - started < 30.0 and len(times) < args.room_browsers:
                person = browser.participant(roomy)
                times.append(time_to_usable(person))
                browser.close(person)
            results["usable_room"] = times
            print("usable, while 40 arrive:", summary(times))
            room.joined.wait(600)
            results["room_errors"] = room.errors
            results["room_usable"] = [p.timings["usable"] for p in room.people if "usable" in p.timings]
            results["room_answer_stored"] = [t for p in room.people for t in p.timings["answer_stored"]]
            results["mem_room"] = kernel_memory(roomy)
            print("room errors:", room.errors)
            print("room (protocol) usable:", summary(results["room_usable"]))
            print("room (protocol) answer stored:", summary(results["room_answer_stored"], "ms", 1000))
            stored, shown, feedback = [], [], []
            for i in range(args.answer_runs):
                person = browser.participant(roomy)
                time_to_usable(person)
                s, w, f = browser_answers(person, f"busy-solo-{i:02d}")
                stored += s
                shown += w
                feedback.append(f)
                browser.close(person)
            results["stored_room"], results["shown_room"], results["feedback_room"] = stored, shown, feedback
            print("answer stored, 40 connected:", summary(stored, "ms", 1000), "| shown:", summary(shown, "ms", 1000))
            print("feedback, 40 connected:", summary(feedback))
            room.stop()
        finally:
            roomy.stop()
    finally:
        browser.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


# -- the report --------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def report(r: dict, args) -> str:
    m = r["machine"]
    med = statistics.median
    warm, cold, room = r["usable_warm"], r["usable_cold"], r["usable_room"]
    p95_room_store = pct(r["stored_room"], 0.95)
    p95_protocol = pct(r["room_answer_stored"], 0.95)
    mem_rows = r["mem_room"]
    uss_max = max((x["uss"] for x in mem_rows), default=float("nan"))
    after = r.get("mem_after_feedback", [])
    after_uss = max((x["uss"] for x in after), default=float("nan"))
    imp = r["import"]["toolkit"]
    lines = [
        SECTION, "",
        f"**Reproduce:** `.venv/bin/python bench/server_bench.py` (about 6 minutes; `--quick` for fewer runs). "
        f"Date of the run below: {r['date']}. Arguments: runs={args.runs}, answer runs={args.answer_runs}, "
        f"room pool={args.room_pool}.",
        "",
        "**What it does.** It starts the real `attune serve` on 127.0.0.1 (via `tests/browser/harness.py`) with the "
        "browser-test notebooks (join + the 9-item ECR-RS), drives Debian's Chromium headless at 360 x 740 through "
        "Playwright, and for the room plays 40 participants over Voilà's kernel websocket (the same messages the "
        "page sends). *Usable* = from navigation start to the first item's options drawn by the live widget "
        "manager. *Stored* = from the tap on an option (the click event in the page, on the machine clock) to its row "
        "seen in the SQLite store (the bench polls the store "
        "every 2 ms, read-only). *Feedback* = from the tap on \"See my results\" to the results heading shown. "
        "Memory is per kernel process (psutil): RSS counts shared libraries in every process, PSS shares them out, "
        "USS is what the kernel alone holds.",
        "",
        f"**Machine:** {m['cpu']}, {m['memory']} RAM; {m['os']}; Python {m['python']}; {m['versions']}; "
        f"{m['chromium']}. {m['load']}: the VM is shared with other developers' test runs, so absolute times "
        "move a lot from run to run.",
        "",
        "| What | Measured | Goal | |",
        "| --- | --- | --- | --- |",
        f"| Usable page, one participant, preheated kernel | {summary(warm)} | median ≤ 1.5 s | "
        f"{verdict(med(warm) <= 1.5)} |",
        f"| Usable page, one participant, cold kernel (pool 0) | {summary(cold)} | (compare) | |",
        f"| Usable page in the browser while 40 arrive within 30 s (pool {args.room_pool}) | {summary(room)} | | |",
        f"| Page + widget state for each of the 40 (protocol clients) | {summary(r['room_usable'])} | | |",
        f"| Answer stored, browser, alone | {summary(r['stored_solo'], 'ms', 1000)} | | |",
        f"| Answer stored, browser, 40 connected | {summary(r['stored_room'], 'ms', 1000)} | p95 ≤ 100 ms | "
        f"{verdict(p95_room_store <= 0.1)} |",
        f"| Answer confirmed on the page (\"n of 9 answered\"), 40 connected | {summary(r['shown_room'], 'ms', 1000)} "
        "| | |",
        f"| Answer stored, the 40 protocol clients while the room arrives | {summary(r['room_answer_stored'], 'ms', 1000)}"
        f" | (p95 ≤ 100 ms would be {verdict(p95_protocol <= 0.1)}) | |",
        f"| Submit to feedback shown, alone | {summary(r['feedback_solo'])} | | |",
        f"| Submit to feedback shown, 40 connected | {summary(r['feedback_room'])} | | |",
        f"| Kernel memory, 40 joined and answered | {mem_summary(mem_rows)} | ≤ 100 MB | "
        f"{verdict(uss_max <= 100)} (USS); RSS {verdict(max((x['rss'] for x in mem_rows), default=0) <= 100)} |",
        f"| Kernel memory after the feedback | {mem_summary(after)} | ≤ 100 MB | {verdict(after_uss <= 100)} (USS) |",
        f"| `import toolkit`, fresh interpreter | {summary(imp, 'ms', 1000)} | < 0.3 s | "
        f"{verdict(med(imp) < 0.3)} |",
        f"| `import toolkit.widgets.session, toolkit.widgets` (what a kernel imports) | "
        f"{summary(r['import']['toolkit.widgets.session, toolkit.widgets'], 'ms', 1000)} | | |",
        "",
    ]
    if r.get("room_errors"):
        lines += [f"Room errors: {r['room_errors']}", ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    notes = ""
    old = pattern.search(current)
    if old and "<!-- notes -->" in old.group(0):  # hand-written reading of the figures is kept
        notes = old.group(0)[old.group(0).index("<!-- notes -->"):].rstrip() + "\n"
    section = text.rstrip() + "\n\n" + notes
    if old:
        current = current[:old.start()] + section + ("\n" if current[old.end():] else "") + current[old.end():]
    else:
        current = current.rstrip() + "\n\n" + section
    RESULTS.write_text(current.rstrip() + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="page opens per condition (default 10)")
    parser.add_argument("--answer-runs", type=int, default=3, help="participants who answer nine items (default 3)")
    parser.add_argument("--room-pool", type=int, default=4, help="preheated kernels for the room server (default 4)")
    parser.add_argument("--room-browsers", type=int, default=6, help="browser page opens during the arrivals")
    parser.add_argument("--import-runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 runs per condition, 1 answering participant")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.answer_runs, args.room_browsers, args.import_runs = 3, 1, 3, 3
    results = run(args)
    text = report(results, args)
    print()
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
