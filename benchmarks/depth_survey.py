"""Depth that VQE with ``layers="auto"`` needs, per model, boundary and regime (the physics notes' table).

Runs :func:`qml.optimize.vqe` with the problem's default ansatz (the HVA, started in the ground
level's sector) and ``layers="auto"`` (targets: relative energy error <= 1e-3 and ground-space
fidelity >= 0.99, L-BFGS, 200 iterations per depth) on one thread, and prints a Markdown table
(depth reached, errors, seconds, why the growth stopped). ``--json`` also writes the rows.

    python benchmarks/depth_survey.py [--quick] [--json depth.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import torch

from qml.optimize import vqe
from qml.problems import get_problem

CASES: list[tuple[str, dict]] = [
    ("tfim", {"n": 12, "h": 0.5}),
    ("tfim", {"n": 12, "h": 1.0}),
    ("tfim", {"n": 12, "h": 1.5}),
    ("tfim", {"n": 12, "h": 0.5, "periodic": False}),
    ("tfim", {"n": 12, "h": 1.0, "periodic": False}),
    ("tfim", {"n": 12, "h": 1.5, "periodic": False}),
    ("tfim", {"n": 9, "h": -1.0}),
    ("xxz", {"n": 10, "delta": -0.5}),
    ("xxz", {"n": 10, "delta": 0.5}),
    ("xxz", {"n": 10, "delta": 1.5}),
    ("xxz", {"n": 10, "delta": 0.5, "periodic": False}),
    ("xxz", {"n": 10, "delta": -1.5}),
    ("heisenberg", {"n": 10}),
    ("heisenberg", {"n": 10, "periodic": False}),
    ("heisenberg", {"n": 9}),
    ("heisenberg", {"n": 10, "h": 1.5}),
    ("j1j2", {"n": 10, "J2": 0.3}),
    ("j1j2", {"n": 10, "J2": 0.5}),
    ("j1j2", {"n": 10, "J2": 0.8}),
]
QUICK = [("tfim", {"n": 6, "h": 1.0, "periodic": False}), ("xxz", {"n": 6, "delta": 0.5})]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two small cases (a smoke run)")
    ap.add_argument("--json", default=None, help="write the rows as JSON")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    print("| problem | ground level | layers | params | rel error | fidelity | stop | s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, params in QUICK if args.quick else CASES:
        p = get_problem(name, **params)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = vqe(p, "lbfgs", layers="auto")
        row = {
            "problem": p.label(),
            "params": params,
            "sector": r.sector,
            "degeneracy": r.extra.get("degeneracy"),
            "layers": r.layers,
            "n_params": r.n_params,
            "rel_error": r.rel_error,
            "fidelity": r.fidelity,
            "stop": r.extra["depth_stop"],
            "seconds": time.perf_counter() - t0,
            "reachable": r.reachable,
        }
        rows.append(row)
        print(
            f"| {row['problem']} | {r.sector}, {row['degeneracy']}-fold | {r.layers} | {r.n_params} | "
            f"{r.rel_error:.1e} | {r.fidelity:.4f} | {row['stop']} | {row['seconds']:.1f} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
