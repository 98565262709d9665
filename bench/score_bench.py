"""Scoring benchmark (issue 2): the toolkit vs psych::scoreFast vs a per-respondent loop.

Scores 1,000,000 synthetic respondents of bench/bench36.yaml (36 items, values 1-5, every
3rd item reverse-keyed, two mean subscales of 18 items, 5% of answers missing) three ways
in one run, prints the times, the ratios and whether the scores agree, and says whether
the issue's goals are met:

* the toolkit, ``score(inst, df)`` from a DataFrame: under 0.25 s for the million;
* at least 7 times faster than R's ``psych::scoreFast`` on the same data (Debian's
  r-cran-psych; bench/score_bench.R does the R side, timing scoring only);
* a plain per-respondent Python loop on a sample, extrapolated to the million.

This prints figures; it is not a test and asserts nothing about speed. Run it with
``make bench`` (``.venv/bin/python bench/score_bench.py``); ``--help`` lists the options.
On a shared machine the absolute times move from run to run: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import glob
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from toolkit import scoring  # noqa: E402
from toolkit.core.scoring import score  # noqa: E402
from toolkit.instruments import load_instrument  # noqa: E402

INSTRUMENT = HERE / "bench36.yaml"
R_SCRIPT = HERE / "score_bench.R"
GOAL_SECONDS = 0.25
GOAL_RATIO = 7.0
TOLERANCE = 1e-9


# --------------------------------------------------------------------------- data

def make_responses(n_rows: int, inst, seed: int, missing: float = 0.05) -> pd.DataFrame:
    """Plausible answers: one latent trait per subscale plus item noise, rounded to 1..5.

    Each item has its own location and loading; reverse-keyed items load negatively, so
    keying them back gives positively correlated items. The two traits correlate 0.3.
    Then ``missing`` of all cells are blanked (NaN) at random.
    """
    rng = np.random.default_rng(seed)
    items = [i.id for i in inst.scored_items]
    n_items = len(items)
    scale_of = np.empty(n_items, dtype=int)
    for s_i, scale in enumerate(inst.scales):
        scale_of[[items.index(i) for i in scale.items]] = s_i
    sign = np.where([i.reverse for i in inst.scored_items], -1.0, 1.0)
    location = rng.uniform(2.6, 3.4, n_items)
    loading = rng.uniform(0.6, 1.1, n_items) * sign
    first = rng.standard_normal(n_rows)
    traits = np.column_stack([first, 0.3 * first + math.sqrt(1 - 0.09) * rng.standard_normal(n_rows)])
    x = traits[:, scale_of]  # respondents x items: each item's own trait
    x *= loading
    x += location
    x += 0.8 * rng.standard_normal((n_rows, n_items))
    np.rint(x, out=x)
    np.clip(x, 1, 5, out=x)
    x[rng.random((n_rows, n_items)) < missing] = np.nan
    return pd.DataFrame(x, columns=items)


def check_instrument(inst) -> None:
    """bench/score_bench.R hard-codes this layout; make sure the YAML still matches it."""
    ids = [i.id for i in inst.scored_items]
    assert ids == [f"q{k}" for k in range(1, 37)], "bench36 items changed"
    assert [i.reverse for i in inst.scored_items] == [k % 3 == 0 for k in range(1, 37)], "reverse keys changed"
    assert [(s.id, s.items, s.method) for s in inst.scales] == [
        ("alpha", ids[:18], "mean"), ("beta", ids[18:], "mean")], "bench36 scales changed"
    for item in inst.scored_items:
        assert list(inst.response_scale_of(item).values) == [1, 2, 3, 4, 5], "response scale changed"


# --------------------------------------------------------------------------- machine facts

def _openblas():
    """numpy's bundled scipy-openblas library (already loaded by numpy), or None."""
    libs = glob.glob(str(Path(np.__file__).parent.parent / "numpy.libs" / "libscipy_openblas*.so"))
    if not libs:
        return None
    try:
        lib = ctypes.CDLL(libs[0])
        lib.scipy_openblas_get_corename64_.restype = ctypes.c_char_p
        lib.scipy_openblas_get_num_threads64_, lib.scipy_openblas_set_num_threads64_  # noqa: B018
        return lib
    except (OSError, AttributeError):
        return None


def blas_facts() -> str:
    parts = []
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        parts.append(f"{blas.get('name')} {blas.get('version')}")
    except Exception as exc:  # pragma: no cover - depends on the numpy build
        parts.append(f"(numpy.show_config unavailable: {exc})")
    try:
        import threadpoolctl  # optional

        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") == "blas":
                parts.append(f"core {info.get('architecture')}, {info.get('num_threads')} threads (threadpoolctl)")
                break
    except ImportError:
        lib = _openblas()  # ask numpy's scipy-openblas directly (read-only) what it detected
        if lib is not None:
            parts.append(f"runtime core {lib.scipy_openblas_get_corename64_().decode()}, "
                         f"{lib.scipy_openblas_get_num_threads64_()} threads")
    return "; ".join(parts)


def machine_facts() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    pressure = "(unavailable)"
    try:  # share of the last 10 s in which some runnable task waited for a CPU (other work on the box)
        pressure = Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1] + "%"
    except (OSError, IndexError):
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": str(nproc),
        "cpu": cpu,
        "memory": mem,
        "load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "CPU pressure at start (some, avg10)": pressure,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "BLAS": blas_facts(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_NUM_THREADS / OMP_NUM_THREADS": f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')} / "
                                                  f"{os.environ.get('OMP_NUM_THREADS', '(unset)')}",
    }


# --------------------------------------------------------------------------- timing helpers

def timed(func, repeats: int, warmup: int = 1):
    """Best and median wall time of ``repeats`` calls after ``warmup`` calls; also the last result."""
    result = None
    for _ in range(warmup):
        result = func()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), times, result


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 100 else f"{seconds:.0f}"


# --------------------------------------------------------------------------- the loop baseline

def loop_rules(inst):
    items = [i.id for i in inst.scored_items]
    reverse = [i.reverse for i in inst.scored_items]
    offset = [inst.response_scale_of(i).values for i in inst.scored_items]
    offset = [min(v) + max(v) for v in offset]
    scales = [([items.index(i) for i in s.items], s.required) for s in inst.scales]
    return items, reverse, offset, scales


def score_loop_tuples(df: pd.DataFrame, rules) -> np.ndarray:
    """A plain per-respondent loop: one tuple per row, keyed values summed item by item."""
    items, reverse, offset, scales = rules
    out = []
    for row in df[items].itertuples(index=False, name=None):
        rec = []
        for idx, required in scales:
            total = 0.0
            n = 0
            for j in idx:
                v = row[j]
                if v == v:  # not NaN
                    total += offset[j] - v if reverse[j] else v
                    n += 1
            rec.append(total / n if n >= required else math.nan)
        out.append(rec)
    return np.array(out)


def score_loop_iterrows(df: pd.DataFrame, rules) -> np.ndarray:
    """The same loop written the way much analysis code is: ``iterrows`` and label look-ups."""
    items, reverse, offset, scales = rules
    out = []
    for _, row in df.iterrows():
        rec = []
        for idx, required in scales:
            values = []
            for j in idx:
                v = row[items[j]]
                if not pd.isna(v):
                    values.append(offset[j] - v if reverse[j] else v)
            rec.append(sum(values) / len(values) if len(values) >= required else math.nan)
        out.append(rec)
    return np.array(out)


# --------------------------------------------------------------------------- R

def run_r(matrix: np.ndarray, repeats: int, workdir: Path) -> dict:
    data, out, counts = workdir / "items.bin", workdir / "scores.bin", workdir / "counts.bin"
    t0 = time.perf_counter()
    matrix.astype("<f8", copy=False).T.tofile(data)  # the transpose's C order is R's column-major order
    write_s = time.perf_counter() - t0
    cmd = ["Rscript", str(R_SCRIPT), str(data), str(matrix.shape[0]), str(out), str(repeats), str(counts)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"Rscript failed ({proc.returncode}):\n{proc.stderr}")
    facts: dict = {"write_seconds": write_s, "process_seconds": wall}
    for line in proc.stdout.splitlines():
        key, *values = line.split()
        facts[key] = values
    n = matrix.shape[0]
    facts["scores"] = np.fromfile(out, dtype="<f8").reshape(2, n).T
    facts["counts"] = np.fromfile(counts, dtype="<f8").reshape(2, n).T
    return facts


# --------------------------------------------------------------------------- where the time goes

def breakdown(inst, df: pd.DataFrame, repeats: int = 3) -> list[tuple[str, float]]:
    """Median time of the main steps of ``score``: input checks, DataFrame to matrix, the whole call,
    and the whole call with the row blocks run in one thread (to see what the second core adds).

    Uses private helpers of toolkit.core.scoring, so it may need updating when that module changes.
    """
    plan = scoring.plan_for(inst)
    steps: dict[str, list[float]] = {}

    def timed(name, func):
        t0 = time.perf_counter()
        func()
        steps.setdefault(name, []).append(time.perf_counter() - t0)

    def one_thread(func, matrix):
        return [func(matrix[i:i + scoring.CHUNK_ROWS], i) for i in range(0, matrix.shape[0], scoring.CHUNK_ROWS)]

    for _ in range(repeats):
        timed("check columns", lambda: scoring._check_columns(inst, plan, df, None))
        timed("DataFrame -> matrix", lambda: scoring._to_matrix(df, plan, None, None))
        timed("score(), blocks on two threads", lambda: scoring.score(inst, df))
        threaded = scoring._map_chunks
        scoring._map_chunks = one_thread
        try:
            timed("score(), blocks on one thread", lambda: scoring.score(inst, df))
        finally:
            scoring._map_chunks = threaded
    return [(k, statistics.median(v)) for k, v in steps.items()]


# --------------------------------------------------------------------------- agreement

def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    both = ~np.isnan(a) & ~np.isnan(b)
    return float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0


def compare_psych(ours: pd.DataFrame, psych_scores: np.ndarray, psych_counts: np.ndarray, inst) -> tuple[list[str], bool]:
    lines = []
    ok = True
    for s_i, sc in enumerate(inst.scales):
        t = ours[sc.id].to_numpy()
        p = psych_scores[:, s_i]
        n_ours = ours[f"{sc.id}_answered"].to_numpy()
        both = ~np.isnan(t) & ~np.isnan(p)
        diff = max_abs_diff(t, p)
        only_psych = np.isnan(t) & ~np.isnan(p)
        only_ours = ~np.isnan(t) & np.isnan(p)
        neither = np.isnan(t) & np.isnan(p)
        counts_equal = bool(np.array_equal(n_ours, psych_counts[:, s_i]))
        explained = bool((n_ours[only_psych] < sc.required).all() and (n_ours[only_psych] >= 1).all())
        none_answered = int((n_ours[neither] == 0).sum())
        ok &= diff < TOLERANCE and not only_ours.any() and explained and counts_equal
        lines.append(
            f"{sc.id}: {both.sum():,} rows scored by both, max |toolkit - psych| = {diff:.3g}; "
            f"{only_psych.sum():,} rows scored by psych only (all have 1..{sc.required - 1} of {len(sc.items)} "
            f"answered, below the toolkit's minimum of {sc.required}: {'yes' if explained else 'NO'}); "
            f"{only_ours.sum():,} by the toolkit only; {neither.sum():,} by neither "
            f"({none_answered:,} with nothing answered); answered counts equal psych's count.responses: "
            f"{'yes' if counts_equal else 'NO'}")
    lines.append(f"psych agreement: {'OK' if ok else 'FAILED'} (tolerance {TOLERANCE:g})")
    return lines, ok


# --------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20240602)
    ap.add_argument("--repeats", type=int, default=5, help="timed toolkit runs after one warm-up")
    ap.add_argument("--r-repeats", type=int, default=3, help="timed psych::scoreFast runs after one warm-up")
    ap.add_argument("--loop-rows", type=int, default=20_000, help="sample for the per-respondent loop")
    ap.add_argument("--iterrows-rows", type=int, default=2_000, help="sample for the iterrows loop (0 to skip)")
    ap.add_argument("--no-r", action="store_true", help="skip psych::scoreFast")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the per-step timing of score()")
    args = ap.parse_args(argv)
    started = time.perf_counter()

    facts = machine_facts()
    inst = load_instrument(str(INSTRUMENT))
    check_instrument(inst)

    t0 = time.perf_counter()
    df = make_responses(args.rows, inst, args.seed)
    gen_s = time.perf_counter() - t0
    missing = float(df.isna().to_numpy().mean())
    print(f"# Scoring benchmark (issue 2), {facts['date']}")
    print(f"data: {args.rows:,} respondents x {df.shape[1]} items of {inst.id}, seed {args.seed}, "
          f"{missing:.2%} cells missing, generated in {gen_s:.1f} s")

    # ---- toolkit
    best, med, times, ours = timed(lambda: score(inst, df), args.repeats)
    print(f"toolkit score(inst, df): best {best:.3f} s, median {med:.3f} s of {args.repeats} "
          f"(after 1 warm-up): {' '.join(f'{t:.3f}' for t in times)}")
    results = [("toolkit score(inst, df)", args.rows, best, med, None)]

    # ---- per-respondent loops on samples
    rules = loop_rules(inst)
    sample = df.iloc[:args.loop_rows]
    t0 = time.perf_counter()
    loop_scores = score_loop_tuples(sample, rules)
    loop_s = time.perf_counter() - t0
    results.append(("Python loop (itertuples)", args.loop_rows, loop_s, loop_s, args.rows / args.loop_rows))
    agreement = []
    all_ok = True
    for s_i, sc in enumerate(inst.scales):
        t = ours[sc.id].to_numpy()[:args.loop_rows]
        same_nan = bool(np.array_equal(np.isnan(t), np.isnan(loop_scores[:, s_i])))
        d = max_abs_diff(t, loop_scores[:, s_i])
        all_ok &= same_nan and d < TOLERANCE
        agreement.append(f"loop (itertuples) vs toolkit, {sc.id}: max |diff| = {d:.3g} on {args.loop_rows:,} rows, "
                         f"same rows unscored: {'yes' if same_nan else 'NO'}")
    if args.iterrows_rows:
        sample = df.iloc[:args.iterrows_rows]
        t0 = time.perf_counter()
        it_scores = score_loop_iterrows(sample, rules)
        it_s = time.perf_counter() - t0
        results.append(("Python loop (iterrows)", args.iterrows_rows, it_s, it_s, args.rows / args.iterrows_rows))
        t = ours[["alpha", "beta"]].to_numpy()[:args.iterrows_rows]
        same_nan = bool(np.array_equal(np.isnan(t), np.isnan(it_scores)))
        d = max_abs_diff(t, it_scores)
        all_ok &= same_nan and d < TOLERANCE
        agreement.append(f"loop (iterrows) vs toolkit, both scales: max |diff| = {d:.3g} on {args.iterrows_rows:,} "
                         f"rows, same rows unscored: {'yes' if same_nan else 'NO'}")

    # ---- psych::scoreFast
    r_facts = None
    if args.no_r:
        facts["R / psych"] = "(skipped: --no-r)"
    elif shutil.which("Rscript") is None:
        facts["R / psych"] = "(Rscript not found)"
    else:
        with tempfile.TemporaryDirectory(prefix="score_bench_") as tmp:
            matrix = df[[i.id for i in inst.scored_items]].to_numpy(dtype=np.float64)
            r_facts = run_r(matrix, args.r_repeats, Path(tmp))
            del matrix
        r_times = [float(v) for v in r_facts["score_seconds"]]
        facts["R / psych"] = (f"R {r_facts['r_version'][0]}, psych {r_facts['psych_version'][0]} "
                              f"(scoreFast forks mc.cores = {r_facts['mc_cores'][0]} workers, one per scale)")
        results.append(("psych::scoreFast", args.rows, min(r_times), statistics.median(r_times), None))
        count_s = float(r_facts["score_counts_seconds"][0])
        results.append(("psych::scoreFast, count.responses", args.rows, count_s, count_s, None))
        lines, ok = compare_psych(ours, r_facts["scores"], r_facts["counts"], inst)
        agreement.extend(lines)
        all_ok &= ok

    # ---- table
    print()
    print("## Machine")
    for k, v in facts.items():
        if k != "date":
            print(f"- {k}: {v}")
    print()
    print("## Times (wall clock; 'x toolkit' = this method's time / the toolkit's, best vs best and median vs median)")
    header = f"| {'method':<36} | {'rows timed':>10} | {'best s':>8} | {'median s':>8} | {'s per 1M':>8} | " \
             f"{'rows/s':>11} | {'x toolkit (best)':>16} | {'x toolkit (median)':>18} |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    tk_best, tk_med = best, med
    for name, rows, b, m, scale_up in results:
        per_m_best = b * args.rows / rows
        per_m_med = m * args.rows / rows
        label = name + (" *" if scale_up else "")
        print(f"| {label:<36} | {rows:>10,} | {b:>8.3f} | {m:>8.3f} | {fmt_s(per_m_med):>8} | "
              f"{rows / m:>11,.0f} | {per_m_best / tk_best:>16.1f} | {per_m_med / tk_med:>18.1f} |")
    print("* timed on the first rows only; 's per 1M' and the ratios extrapolate linearly to "
          f"{args.rows:,} rows (one timed run each).")
    if r_facts:
        print(f"psych: warm-up call {float(r_facts['warmup_seconds'][0]):.3f} s, timed calls "
              f"{' '.join(r_facts['score_seconds'])} s; reading the matrix in R {float(r_facts['read_seconds'][0]):.3f} s "
              f"and writing it from numpy {r_facts['write_seconds']:.3f} s are not counted; whole Rscript process "
              f"{r_facts['process_seconds']:.1f} s.")

    print()
    print("## Agreement")
    for line in agreement:
        print(f"- {line}")

    print()
    print("## Goals")
    scale = args.rows / 1_000_000
    goal_s = GOAL_SECONDS * scale
    print(f"- toolkit under {goal_s:.3g} s for {args.rows:,} rows: best {tk_best:.3f} s "
          f"{'MET' if tk_best < goal_s else 'MISSED'}, median {tk_med:.3f} s {'MET' if tk_med < goal_s else 'MISSED'}")
    if r_facts:
        r_best, r_med = results[-2][2], results[-2][3]
        print(f"- at least {GOAL_RATIO:g}x faster than psych::scoreFast: best/best {r_best / tk_best:.1f}x "
              f"{'MET' if r_best / tk_best >= GOAL_RATIO else 'MISSED'}, median/median {r_med / tk_med:.1f}x "
              f"{'MET' if r_med / tk_med >= GOAL_RATIO else 'MISSED'}")
    else:
        print("- psych::scoreFast ratio: not measured")
    print(f"- scores agree: {'yes' if all_ok else 'NO'}")

    if not args.no_breakdown:
        print()
        print("## Where the toolkit's time goes (median of 3, one million rows unless --rows)")
        try:
            for name, secs in breakdown(inst, df):
                print(f"- {name}: {secs:.3f} s")
        except Exception as exc:  # private helpers may change
            print(f"- breakdown unavailable: {type(exc).__name__}: {exc}")
        lib = _openblas()
        if lib is not None:
            # Diagnostic only, after every figure above: score() with OpenBLAS limited to one
            # thread per caller (the thread pool already uses both cores), then restored.
            before = lib.scipy_openblas_get_num_threads64_()
            try:
                lib.scipy_openblas_set_num_threads64_(1)
                b1, m1, _, _ = timed(lambda: score(inst, df), args.repeats)
            finally:
                lib.scipy_openblas_set_num_threads64_(before)
            b2, m2, _, _ = timed(lambda: score(inst, df), args.repeats)
            print(f"- what-if, score() with OpenBLAS at 1 thread (was {before}): best {b1:.3f} s, median {m1:.3f} s; "
                  f"restored to {before}, re-measured: best {b2:.3f} s, median {m2:.3f} s")

    print()
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
          f"CPU pressure at end: {machine_facts()['CPU pressure at start (some, avg10)']}; "
          f"whole benchmark {time.perf_counter() - started:.0f} s")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
