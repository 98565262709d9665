"""Many writers at once, and a writer killed mid-way: no answer is lost, doubled or damaged.

In a workshop every participant's form runs in its own kernel (Voila starts one per
browser), all writing to one store file; a kernel can be killed at any moment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from toolkit.store.responses import ResponseStore

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ITEMS = [f"who5_{i}" for i in range(1, 6)]

PROCESSES = 20
TIMEPOINTS = 20  # x 5 items = 100 answers per process

# One participant's kernel: open the store (all at once, on a file that does not exist yet),
# register, say "ready", wait for the start signal, then write 100 answers.
WRITER = """
import os, sys, time
from toolkit.store.responses import ResponseStore
path, n, go, timepoints = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
code = f"worker-process-{10 + n}"
store = ResponseStore(path)
store.register(code, storage_consent=True)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
for t in range(timepoints):
    for i in range(1, 6):
        store.record_answer(code, "who5", f"who5_{i}", (n + t + i) % 6, timepoint=f"t{t}")
store.close()
print("done", flush=True)
"""

# Writes answers for ever, printing each one's key once record_answer has returned.
CRASHER = """
import sys
from toolkit.store.responses import ResponseStore
path, code = sys.argv[1], sys.argv[2]
store = ResponseStore(path)
store.register(code, storage_consent=True)
n = 0
while True:
    timepoint, item, value = f"r{n // 5}", f"who5_{n % 5 + 1}", n % 6
    store.record_answer(code, "who5", item, value, timepoint=timepoint)
    print(timepoint, item, value, flush=True)
    n += 1
"""


def _python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_twenty_processes_writing_at_once_lose_and_double_nothing(tmp_path, place):
    path, go = place.location, tmp_path / "go"
    started = time.monotonic()
    writers = [_python(WRITER, str(path), str(n), str(go), str(TIMEPOINTS)) for n in range(PROCESSES)]
    try:
        for w in writers:
            line = w.stdout.readline()
            assert line == "ready\n", w.stderr.read()
        opened = time.monotonic()
        go.touch()
        for w in writers:
            out, err = w.communicate(timeout=120)
            assert w.returncode == 0 and out == "done\n", err
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
                w.wait()
    written = time.monotonic()
    print(f"\n20 writers ({place.kind}): opened in {opened - started:.1f} s, "
          f"2,000 answers in {written - opened:.1f} s")

    assert place.integrity_ok()
    assert place.count("SELECT COUNT(*) FROM answers") == PROCESSES * TIMEPOINTS * 5
    keys = place.count("SELECT COUNT(DISTINCT participant || '/' || item || '/' || timepoint) FROM answers")
    assert keys == PROCESSES * TIMEPOINTS * 5
    assert place.count("SELECT COUNT(*) FROM participants") == PROCESSES
    rows = place.query("SELECT participant, item, timepoint, value FROM answers")
    expected = {(f"worker-process-{10 + n}", f"who5_{i}", f"t{t}", float((n + t + i) % 6))
                for n in range(PROCESSES) for t in range(TIMEPOINTS) for i in range(1, 6)}
    assert set(rows) == expected


def _acknowledged(proc: subprocess.Popen, at_least: int, timeout: float = 60) -> list[str]:
    """Read acknowledged keys until ``at_least`` arrived, SIGKILL the writer, then take the rest of the pipe."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while len(lines) < at_least:
        line = proc.stdout.readline()
        assert line and time.monotonic() < deadline, proc.stderr.read()
        lines.append(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lines += proc.stdout.readlines()  # printed before the kill, so also acknowledged
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return [line for line in lines if line.endswith("\n")]


@pytest.mark.parametrize("round_", range(3))
def test_answers_acknowledged_before_sigkill_survive_it(place, round_):
    path = place.location
    code = "amber-fox-42"
    started = time.monotonic()
    acked = _acknowledged(_python(CRASHER, str(path), code), at_least=60 + 45 * round_)

    with ResponseStore(path) as store:  # opens (and recovers) after the crash
        stored = {(r.timepoint, r.item, r.value) for r in store.answers(code).itertuples()}
    assert place.integrity_ok()
    print(f"\nkilled after {len(acked)} acknowledged answers; checked in {time.monotonic() - started:.1f} s")

    keys = set()
    for line in acked:
        timepoint, item, value = line.split()
        keys.add((timepoint, item, float(value)))
    assert keys <= stored, f"lost: {sorted(keys - stored)[:5]}"
    assert len(stored) - len(keys) <= 1  # at most the answer committed but not yet acknowledged


def test_threads_sharing_one_store_write_every_answer(place):
    codes = [f"quiet-owl-{n}" for n in range(10, 18)]
    errors: list[BaseException] = []
    with ResponseStore(place.location) as store:
        for code in codes:
            store.register(code, storage_consent=True)

        def write(code: str) -> None:
            try:
                for t in range(10):
                    for item in ITEMS:
                        store.record_answer(code, "who5", item, t % 6, timepoint=f"t{t}")
                    store.saved_answers(code, "who5", f"t{t}")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(code,)) for code in codes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(store.answers()) == len(codes) * 10 * 5
