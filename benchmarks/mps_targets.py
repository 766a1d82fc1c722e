"""VQE and prediction on the MPS method at 32-64 sites against free-fermion and DMRG references.

The runs behind the MPS notes (``benchmarks/NOTES.md``): each VQE case calls
:func:`qml.optimize.vqe` with ``Simulator(method="mps", bond_dim=chi)`` and ``layers="auto"``
(:class:`~qml.optimize.depth.DepthSearch`: warm-started growth by ``step`` layers, no cold
restarts, a time budget), against the problem's exact reference (free fermions for the TFIM,
converged DMRG for the Heisenberg chain: ``exact_method`` in the row); the prediction case
runs :func:`qml.predict.run_prediction` on an open TFIM family and scores the held-out states
MPS to MPS against DMRG. Seconds are wall time on the given threads, references included.

    python benchmarks/mps_targets.py [--quick] [--cases tfim64_h0.5,heisenberg32] [--json out.json]

Set ``OPENBLAS_NUM_THREADS=1`` before Python starts when DMRG runs on a small machine (see
:mod:`qml.dmrg`); this script sets it (and torch's threads) from ``--threads``.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # thread settings before numpy / torch load
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", _threads)

import argparse
import json
import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass(frozen=True)
class Case:
    """One VQE target: problem, ansatz, growth schedule, bond dimension and the target error."""

    problem: str
    params: dict[str, Any]
    ansatz: str
    start: int
    step: int
    max_layers: int
    bond_dim: int
    target: float
    steps: int = 300
    budget: float = 600.0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "tfim64_h0.5": Case(
        "tfim",
        {"n": 64, "h": 0.5, "periodic": False},
        "hva-sb",
        4,
        2,
        10,
        32,
        1e-4,
        note="ordered phase: symmetry-broken HVA (the cat state needs depth ~ N/2)",
    ),
    "tfim64_h1.5": Case(
        "tfim",
        {"n": 64, "h": 1.5, "periodic": False},
        "hva",
        2,
        2,
        10,
        32,
        1e-4,
        note="interpolated growth from 2 layers (a random start at 4 layers lands in a worse basin)",
    ),
    "tfim64_h1.0": Case(
        "tfim",
        {"n": 64, "h": 1.0, "periodic": False},
        "hva",
        2,
        4,
        18,
        32,
        1e-3,
        note="critical point: interpolated growth 2, 6, 10, 14 layers",
    ),
    "heisenberg32": Case(
        "heisenberg",
        {"n": 32, "periodic": False},
        "hva-local",
        10,
        2,
        12,
        32,
        1e-3,
        note="one angle per bond: the shared-angle HVA stalls at 1.7e-3 (L = 8 and 12)",
    ),
}
QUICK: dict[str, Case] = {
    "tfim24_h0.5": Case(
        "tfim", {"n": 24, "h": 0.5, "periodic": False}, "hva-sb", 2, 2, 6, 16, 1e-3, steps=100, budget=60.0
    ),
    "heisenberg22": Case(
        "heisenberg", {"n": 22, "periodic": False}, "hva", 2, 2, 4, 16, 1e-2, steps=60, budget=60.0
    ),
}
PREDICT = {
    "n": 32,
    "lam_range": (1.3, 2.3),
    "train": 4,
    "test": 8,
    "layers": 8,
    "model": "interp",
    "bond_dim": 32,
}
PREDICT_QUICK = {
    "n": 22,
    "lam_range": (1.5, 2.5),
    "train": 3,
    "test": 2,
    "layers": 2,
    "model": "interp",
    "bond_dim": 8,
}


def run_case(name: str, case: Case) -> dict[str, Any]:
    """One VQE target on the MPS method; the row of the table."""
    from qml.optimize import vqe
    from qml.optimize.depth import DepthSearch
    from qml.problems import get_problem
    from qml.sim.simulator import Simulator

    t0 = time.perf_counter()
    problem = get_problem(case.problem, **case.params)
    ref = problem.exact()
    t_ref = time.perf_counter() - t0
    search = DepthSearch(
        target_rel_error=case.target,
        target_fidelity=None,
        start=case.start,
        step=case.step,
        max_layers=case.max_layers,
        cold_start=False,
        time_budget=max(1.0, case.budget - t_ref),
    )
    sim = Simulator(method="mps", bond_dim=case.bond_dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = vqe(
            problem,
            ansatz=case.ansatz,
            layers="auto",
            depth=search,
            steps=case.steps,
            exact=ref,
            simulator=sim,
        )
    seconds = time.perf_counter() - t0
    return {
        "case": name,
        "problem": problem.label(),
        "ansatz": case.ansatz,
        "layers": r.layers,
        "params": r.n_params,
        "bond_dim": case.bond_dim,
        "exact_method": ref.method,
        "reference_error": ref.error,
        "energy": r.energy,
        "exact": ref.energy,
        "rel_error": r.rel_error,
        "target": case.target,
        "met": bool(r.rel_error is not None and r.rel_error <= case.target),
        "fidelity": r.fidelity,
        "max_bond": r.extra["mps"]["max_bond"],
        "truncation_error": r.extra["mps"]["truncation_error"],
        "depths": [(h["layers"], h["rel_error"], round(h["seconds"], 1)) for h in r.extra["depth_history"]],
        "evaluations": r.n_evals,
        "seconds": seconds,
        "reference_seconds": t_ref,
        "note": case.note,
    }


def run_predict(cfg: dict[str, Any]) -> dict[str, Any]:
    """The prediction target: held-out fidelity MPS to MPS against DMRG over an open TFIM family."""
    from qml.predict import run_prediction
    from qml.sim.simulator import Simulator

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_prediction(
            "tfim",
            n=cfg["n"],
            train=cfg["train"],
            test=cfg["test"],
            model=cfg["model"],
            layers=cfg["layers"],
            lam_range=cfg["lam_range"],
            periodic=False,
            simulator=Simulator(method="mps", bond_dim=cfg["bond_dim"]),
        )
    r = out.result
    return {
        "case": f"predict_tfim{cfg['n']}",
        "family": r.family,
        "range": list(cfg["lam_range"]),
        "model": cfg["model"],
        "layers": cfg["layers"],
        "bond_dim": cfg["bond_dim"],
        "train": cfg["train"],
        "test": cfg["test"],
        "mean_fidelity": r.summary["mean_fidelity"],
        "min_fidelity": r.summary["min_fidelity"],
        "max_rel_error": r.summary["max_rel_error"],
        "reference": r.extra.get("reference"),
        "fidelities": r.fidelity,
        "rel_errors": r.rel_error,
        "met": bool(r.summary["mean_fidelity"] >= 0.99),
        "seconds": time.perf_counter() - t0,
        "timings": out.timings,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cases (a smoke run, ~1 minute)")
    ap.add_argument(
        "--cases",
        default=None,
        help=f"comma-separated subset of {', '.join([*CASES, 'predict'])} (default: all)",
    )
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--json", default=None, help="write the rows as JSON")
    args = ap.parse_args()
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("qml.optimize.depth").setLevel(logging.INFO)  # one line per depth tried
    torch.set_num_threads(args.threads)
    cases = QUICK if args.quick else CASES
    names = [*cases, "predict"] if args.cases is None else [c.strip() for c in args.cases.split(",")]
    rows = []
    print("| case | ansatz | layers | chi (max used) | reference | rel error | target | met | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        if name == "predict":
            row = run_predict(PREDICT_QUICK if args.quick else PREDICT)
            print(
                f"| {row['case']} h in {row['range']} | {row['model']} | {row['layers']} | "
                f"{row['bond_dim']} | {row['reference']} | mean fidelity {row['mean_fidelity']:.5f} "
                f"(min {row['min_fidelity']:.5f}) | 0.99 | {row['met']} | {row['seconds']:.0f} |",
                flush=True,
            )
        elif name in cases:
            row = run_case(name, cases[name])
            print(
                f"| {row['problem']} | {row['ansatz']} | {row['layers']} | {row['bond_dim']} "
                f"({row['max_bond']}) | {row['exact_method']} | {row['rel_error']:.2e} | {row['target']:g} | "
                f"{row['met']} | {row['seconds']:.0f} |",
                flush=True,
            )
        else:
            raise SystemExit(f"unknown case {name!r}; valid: {', '.join([*cases, 'predict'])}")
        rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"threads": args.threads, "torch": torch.__version__, "rows": rows}, f, indent=1, default=str
            )


if __name__ == "__main__":
    main()
