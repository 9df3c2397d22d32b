"""Benchmark: score_frame() on many rows, and score() in a loop, for every built-in form.

    .venv/bin/python bench/bench_scoring.py [--rows 1000000] [--loop-rows 100000]

Input: random answers on each form's scale with about 2 % of answers missing, held the
way pandas holds such a table - one float64 column per item, NaN where missing.

Time: wall clock (time.perf_counter) of the call alone; score_frame() is timed `--runs`
times and the median is reported, score() once over `--loop-rows` rows (the loop is
a hundred times or more slower, so it gets fewer rows; rows/s stays comparable).
Memory: the tracemalloc peak of a separate, untimed call - every allocation the call
makes (numpy reports its buffers to tracemalloc), not counting the input table. The
process's own high-water mark (ru_maxrss, input tables included) is printed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessments.scoring.definitions import Form
from assessments.scoring.frame import score_frame
from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import score


def answer_table(form: Form, rows: int, missing: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {}
    for item in form.items:
        values = rng.integers(form.scale.min, form.scale.max + 1, size=rows).astype(np.float64)
        values[rng.random(rows) < missing] = np.nan
        columns[f"item_{item.number}"] = values
    return pd.DataFrame(columns)


def peak_mb(call: Callable[[], object]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak / 2**20


def answer_sheets(table: pd.DataFrame) -> list[dict[int, int | None]]:
    sheets = []
    names = list(table.columns)
    for row in table.itertuples(index=False, name=None):
        sheets.append(
            {
                int(name[5:]): None if value != value else int(value)
                for name, value in zip(names, row, strict=True)
            }
        )
    return sheets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loop-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--missing", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--forms", nargs="*", default=None)
    args = parser.parse_args()

    registry = get_registry()
    codes = args.forms or sorted(registry.codes(), key=lambda c: (registry.get(c).item_count, c))
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} CPUs; {args.missing:.0%} missing answers; score_frame: median of "
        f"{args.runs} runs on {args.rows:,} rows; score(): one loop over {args.loop_rows:,} rows"
    )
    header = f"{'form':<17} {'path':<12} {'rows':>10} {'seconds':>9} {'rows/s':>12} {'peak MB':>9}"
    print(header)
    print("-" * len(header))
    for code in codes:
        form = registry.get(code)
        table = answer_table(form, args.rows, args.missing, args.seed)
        missing_share = float(table.isna().to_numpy().mean())

        score_frame(form, table.head(1000))  # warm-up: lookup tables, imports
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            score_frame(form, table)
            timings.append(time.perf_counter() - start)
        seconds = statistics.median(timings)
        memory = peak_mb(lambda form=form, table=table: score_frame(form, table))
        print(
            f"{code:<17} {'score_frame':<12} {args.rows:>10,} {seconds:>9.3f} "
            f"{args.rows / seconds:>12,.0f} {memory:>9.1f}"
        )

        sheets = answer_sheets(table.head(args.loop_rows))
        start = time.perf_counter()
        results = [score(form, sheet) for sheet in sheets]
        seconds = time.perf_counter() - start
        del results
        memory = peak_mb(lambda form=form, sheets=sheets: [score(form, s) for s in sheets])
        print(
            f"{code:<17} {'score() loop':<12} {len(sheets):>10,} {seconds:>9.3f} "
            f"{len(sheets) / seconds:>12,.0f} {memory:>9.1f}"
            f"   ({missing_share:.2%} of answers missing)"
        )
        del table, sheets

    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"process peak resident memory (ru_maxrss, input tables included): {maxrss_mb:.0f} MB")


if __name__ == "__main__":
    main()
