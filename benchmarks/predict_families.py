"""Wavefunction prediction across Hamiltonian families: the targets of the physics notes, measured.

For each family (the issue's three plus a two-parameter phase diagram) runs
:func:`qml.models.predict_family` on one thread: 6 training points (4 x 4 for the phase
diagram), 40 held-out points, branches grown until the training points converge, the
exact-state interpolation and classical-shadow baselines on the same points (1000
snapshots per training point). Prints a Markdown table (mean / min held-out ground-space
fidelity, max relative energy error, the same for the baselines, the Spearman correlation
of the predicted spread with the actual energy error, crossings, seconds); ``--json``
writes the full results, ``--plots DIR`` their figures.

    python -m benchmarks.predict_families [--quick] [--json out.json] [--plots figs/]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from qml.models.family_prediction import plot_family_prediction, predict_family

CASES: list[tuple[str, str, dict, dict, int, int]] = [
    ("tfim_open10", "tfim", {"h": (0.2, 1.8)}, {"n": 10, "periodic": False}, 6, 40),
    ("xxz_ring8", "xxz", {"delta": (-0.5, 1.5)}, {"n": 8}, 6, 40),
    ("heisenberg_field_ring8", "heisenberg", {"h": (0.0, 2.5)}, {"n": 8}, 6, 40),
    ("xxz_phase_ring6", "xxz", {"delta": (-2.0, 1.5), "h": (0.0, 2.5)}, {"n": 6}, 4, 100),
]
QUICK: dict[str, int] = {"tfim_open10": 6, "xxz_ring8": 6, "heisenberg_field_ring8": 6, "xxz_phase_ring6": 4}


def _fmt(v: object, spec: str = ".4g") -> str:
    return "-" if v is None else format(v, spec)


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print the table (``--quick``: every family at ``n = 6``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 6 for every family (about a minute)")
    ap.add_argument("--json", default=None, help="write the full results here")
    ap.add_argument("--plots", default=None, help="write each case's figures into this folder")
    ap.add_argument("--only", nargs="*", default=None, help="case names to run")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows, full = [], {}
    print(
        "| family | model fid mean / min | max rel err | exact-interp fid mean / min | shadow max rel err "
        "| Spearman(spread, err) | crossings pred / exact | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, problem, vary, fixed, train, test in CASES:
        if args.only and name not in args.only:
            continue
        fixed = dict(fixed, n=QUICK[name]) if args.quick else fixed
        t0 = time.perf_counter()
        r = predict_family(problem, vary, fixed, train=train, test=test, seed=0)
        seconds = time.perf_counter() - t0
        s, b, sh = r.summary(), r.summary("exact_interp"), r.summary("shadow")
        rho = r.uncertainty["spearman"].get("spread_vs_energy_error")
        cross = f"{len(r.crossings.get('predicted', []))} / {len(r.crossings.get('exact', []))}"
        row = (
            f"| {name} | {_fmt(s['mean_fidelity'], '.5f')} / {_fmt(s['min_fidelity'], '.5f')} "
            f"| {_fmt(s['max_rel_error'], '.2e')} | {_fmt(b['mean_fidelity'], '.5f')} / "
            f"{_fmt(b['min_fidelity'], '.5f')} | {_fmt(sh['max_rel_error'], '.2e')} | {_fmt(rho, '.3f')} "
            f"| {cross} | {seconds:.0f} |"
        )
        print(row, flush=True)
        rows.append(row)
        full[name] = r.to_dict()
        if args.plots:
            plot_family_prediction(r, Path(args.plots) / f"{name}.png")
    if args.json:
        Path(args.json).write_text(json.dumps(full, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
