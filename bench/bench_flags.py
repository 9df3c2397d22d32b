"""Calibration of the alliance flags by simulation: false alarms and detection.

    .venv/bin/python bench/bench_flags.py [--clients 1200] [--seed 10] [--no-demo]

Clients are simulated at item level. Each has a latent level (on the answer scale);
each questionnaire's answer to item j is round(level + item offset + occasion error +
item error), clipped to the scale. The occasion error is shared by all items of one
questionnaire (a good or bad day), the item error is not. The spreads are set so that
Cronbach's alpha of the total, across clients with one questionnaire each, is about
.90, and so that 20-30 % of clients sit at or near the top (POMP >= 90). Both are
computed and printed.

The clinic's norms are estimated from the simulated clinic as the app does (SD of totals
and alpha from one questionnaire per client, pooled SD of session-to-session changes),
then for each form:

- stable: 10 questionnaires, no true change; flagged = any of the measurement flags
  (possible rupture, dropping, first dip) raised at the latest questionnaire;
- fall: the same clients, but the latent level at the 10th questionnaire is lowered so
  that the expected total falls by 2 or 3 x S_diff (S_diff from the estimated norms).

Both comparisons of the rupture rule are measured (new score against the previous one;
against the mean of the last few), and the rules in force before (a drop larger than
the client's population SD of changes, floored at 10 POMP, and a first dip at any score
below 100). Finally the demo clinic is seeded into a throw-away SQLite database and the
share of its caseload with a flag is printed. Seeded: the same figures on every run.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from assessments.alliance import rules
from assessments.alliance.rules import Point, analyse, cronbach_alpha
from assessments.scoring.definitions import Form
from assessments.scoring.registry import get_registry

SESSIONS = 10
TARGET_ALPHA = 0.90
TOP_POMP = 90.0


class Model:
    """Item-level answers for one form: keyed values on the form's scale."""

    def __init__(self, form: Form, rng: np.random.Generator, occasion: float) -> None:
        self.form = form
        self.k = form.item_count
        self.lo, self.hi = form.scale.min, form.scale.max
        width = self.hi - self.lo
        # Latent level on the answer scale: most alliances high, a tail of low ones.
        self.mean = self.lo + 0.84 * width
        self.tau = 0.16 * width  # between clients
        self.occasion = occasion * width  # shared by the items of one questionnaire
        # Item error set for alpha about .90: alpha = k rho / (1 + (k - 1) rho) with rho
        # the inter-item correlation; rounding adds a little error, hence the 0.92.
        rho = TARGET_ALPHA / (self.k - (self.k - 1) * TARGET_ALPHA)
        common = self.tau**2 + self.occasion**2
        self.sigma = math.sqrt(common * (1 / rho - 1)) * 0.92
        self.offsets = rng.normal(0, 0.06 * width, self.k)
        self.step = 100.0 / (width * self.k)

    def levels(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.tau, n)

    def answers(self, levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One questionnaire per level: (n, k) keyed answers."""
        n = len(levels)
        raw = (
            levels[:, None]
            + self.offsets[None, :]
            + rng.normal(0, self.occasion, (n, 1))
            + rng.normal(0, self.sigma, (n, self.k))
        )
        return np.clip(np.rint(raw), self.lo, self.hi)

    def pomp(self, answers: np.ndarray) -> np.ndarray:
        return 100.0 * (answers.mean(axis=1) - self.lo) / (self.hi - self.lo)

    def expected_pomp(self, levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """E[POMP | level], by simulation on a grid and interpolation (monotone)."""
        grid = np.linspace(self.lo - 3 * self.tau, self.hi + 3 * self.tau, 241)
        reps = 400
        sims = self.pomp(self.answers(np.repeat(grid, reps), rng)).reshape(len(grid), reps)
        curve = np.maximum.accumulate(sims.mean(axis=1))
        self._grid, self._curve = grid, curve
        return np.interp(levels, grid, curve)

    def level_for(self, target_pomp: np.ndarray) -> np.ndarray:
        return np.interp(target_pomp, self._curve, self._grid)


def points(model: Model, series: np.ndarray, pomps: np.ndarray, code: str) -> list[Point]:
    return [
        Point(float(p), code, step=model.step, items=tuple(int(v) for v in row))
        for p, row in zip(pomps, series, strict=True)
    ]


def old_flag(values: list[float]) -> bool:
    """The rules in force before: any flag at the latest questionnaire."""
    n = len(values)

    def client_sd(earlier: list[float]) -> float:
        changes = [b - a for a, b in itertools.pairwise(earlier)]
        if len(changes) < 2:
            return 10.0
        mean = sum(changes) / len(changes)
        return max(math.sqrt(sum((c - mean) ** 2 for c in changes) / len(changes)), 10.0)

    ruptures = {i for i in range(3, n) if values[i - 1] - values[i] > client_sd(values[:i])}
    for i in ruptures:
        if i >= n - 3 and not any(v >= values[i - 1] for v in values[i + 1 : i + 3]):
            return True
    if n >= 2 and (values[-1] - values[-2]) / (math.sqrt(2) * 15 * math.sqrt(0.1)) < -1.96:
        return True
    return n >= 3 and values[-1] < 100 and values[-2] >= 100 and values[-3] >= 100


def simulate_form(form: Form, clients: int, seed: int, occasion: float) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    model = Model(form, rng, occasion)
    code = form.code
    # The clinic: one questionnaire per client for the norms, and a stable series each
    # for the pooled SD of changes.
    clinic_levels = model.levels(clients, rng)
    one_each = model.answers(clinic_levels, rng)
    totals = one_each.sum(axis=1)
    pomp_once = model.pomp(one_each)
    alpha = cronbach_alpha(list(one_each.var(axis=0, ddof=1)), float(totals.var(ddof=1)))
    sd = float(pomp_once.std(ddof=1))
    histories = np.stack([model.answers(clinic_levels, rng) for _ in range(SESSIONS)], axis=1)
    pomps = model.pomp(histories.reshape(-1, model.k)).reshape(clients, SESSIONS)
    change_sd, change_clients = rules.pooled_change_sd([list(map(float, r)) for r in pomps])
    norms = {
        code: rules.norms_from(
            clients=clients,
            sd=sd,
            alpha=alpha,
            change_sd=change_sd,
            change_clients=change_clients,
        )
    }
    s_diff = norms[code].s_diff
    out: dict[str, object] = {
        "form": code,
        "alpha": alpha,
        "sd": sd,
        "s_diff": s_diff,
        "change_sd": change_sd,
        "at_top": float((pomp_once >= 100 - 1e-9).mean()),
        "near_top": float((pomp_once >= TOP_POMP).mean()),
    }
    # Stable clients and the same clients with a true fall at the last questionnaire.
    levels = model.levels(clients, rng)
    expected = model.expected_pomp(levels, rng)
    runs: dict[str, np.ndarray] = {}
    for label, fall in (("stable", 0.0), ("fall2", 2.0), ("fall3", 3.0)):
        sub = np.random.default_rng(seed + 1)  # the same first nine questionnaires
        series = np.stack([model.answers(levels, sub) for _ in range(SESSIONS)], axis=1)
        if fall:
            last = model.level_for(expected - fall * s_diff)
            # Those who cannot fall that far on the scale are left out of the rate.
            ok = expected - fall * s_diff >= model._curve[0]
            series[:, -1, :] = model.answers(last, np.random.default_rng(seed + 2))
        else:
            ok = np.ones(clients, dtype=bool)
        runs[label] = series
        p = model.pomp(series.reshape(-1, model.k)).reshape(clients, SESSIONS)
        for baseline in ("previous", "mean"):
            kinds = {"rupture": 0, "dropping": 0, "first_dip": 0, "any": 0}
            for c in np.nonzero(ok)[0]:
                flags = analyse(points(model, series[c], p[c], code), norms, baseline=baseline)
                raised = flags[-1].kinds()
                for kind in raised:
                    kinds[kind] += 1
                kinds["any"] += bool(raised)
            n = int(ok.sum())
            out[f"{label}:{baseline}"] = {k: v / n for k, v in kinds.items()}
        out[f"{label}:old"] = float(np.mean([old_flag(list(map(float, r))) for r in p[ok]]))
        out[f"{label}:n"] = int(ok.sum())
    return out


def demo_share() -> tuple[int, int, dict[str, int], list[str], int]:
    """Seed the demo clinic into a throw-away database; count its flagged caseload."""
    folder = tempfile.mkdtemp(prefix="bench-flags-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/demo.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_site.settings")
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    from assessments.alliance.analysis import client_chart_series
    from assessments.alliance.dashboards import caseload_rows
    from clinicians.models import Patient, PatientStatus, Role, User

    call_command("migrate", verbosity=0, stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    total, flagged, by_code, listed = 0, 0, {}, []
    for therapist in User.objects.filter(role=Role.THERAPIST).order_by("email"):
        for row in caseload_rows(therapist):
            total += 1
            flagged += bool(row.flags)
            for code in row.flag_codes:
                by_code[code] = by_code.get(code, 0) + 1
            if row.flags:
                listed.append(f"{row.patient.code} ({', '.join(sorted(row.flag_codes))})")
    repaired = sum(
        1
        for p in Patient.objects.filter(status=PatientStatus.ACTIVE)
        for _, f in client_chart_series(p)[1]
        if f.repaired
    )
    return total, flagged, by_code, listed, repaired


def pct(x: float) -> str:
    return f"{100 * x:5.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument(
        "--occasion",
        type=float,
        default=0.0,
        help="SD of an error shared by one questionnaire's items, as a share of the scale "
        "width (0: classical test theory, where alpha is the reliability of a change)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"bench_flags: {args.clients} simulated clients per form, {SESSIONS} questionnaires, "
        f"seed {args.seed}, occasion error {args.occasion}"
    )
    print(f"rule in force: compare with the {rules.BASELINE!r} score(s); targets: false alarms")
    print("<= 5 % (stable), detection >= 85 % (true fall of 3 x S_diff)\n")
    results = []
    for i, code in enumerate(get_registry().codes()):
        form = get_registry().get(code)
        results.append(simulate_form(form, args.clients, args.seed + 97 * i, args.occasion))
    for r in results:
        print(
            f"{r['form']}: alpha {r['alpha']:.3f}, SD {r['sd']:.1f} POMP, S_diff "
            f"{r['s_diff']:.2f}, pooled SD of changes {r['change_sd']:.2f}; clients at the "
            f"top {pct(r['at_top'])}, at or near it (POMP >= {TOP_POMP:.0f}) {pct(r['near_top'])}"
        )
        print(f"  {'':34}{'stable':>9}{'fall 2xS':>10}{'fall 3xS':>10}")
        for baseline, name in (("previous", "vs previous score"), ("mean", "vs mean of last 4")):
            for kind in ("any", "rupture", "dropping", "first_dip"):
                row = [r[f"{lab}:{baseline}"][kind] for lab in ("stable", "fall2", "fall3")]
                label = f"{name}, {'any flag' if kind == 'any' else kind}"
                print(f"  {label:34}" + "".join(f"{pct(v):>10}" for v in row))
        old = [r[f"{lab}:old"] for lab in ("stable", "fall2", "fall3")]
        print(f"  {'rules before (any flag)':34}" + "".join(f"{pct(v):>10}" for v in old))
        print(
            f"  (fall rates over {r['fall2:n']} and {r['fall3:n']} clients who can fall "
            "that far on the scale)\n"
        )
    chosen = rules.BASELINE
    worst_fa = max(r[f"stable:{chosen}"]["any"] for r in results)
    worst_det = min(r[f"fall3:{chosen}"]["any"] for r in results)
    print(
        f"in force ({chosen!r}): worst false alarms {pct(worst_fa)} "
        f"({'met' if worst_fa <= 0.05 else 'NOT met'}), worst detection at 3 x S_diff "
        f"{pct(worst_det)} ({'met' if worst_det >= 0.85 else 'NOT met'})"
    )
    if not args.no_demo:
        total, flagged, by_code, listed, repaired = demo_share()
        print(
            f"demo clinic: {flagged} of {total} active clients carry a flag "
            f"({pct(flagged / total).strip()}); by flag: "
            + ", ".join(f"{k} {v}" for k, v in sorted(by_code.items()))
        )
        print(f"  flagged: {'; '.join(listed)}")
        print(f"  repaired ruptures on the charts (no flag on the caseload): {repaired}")
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
