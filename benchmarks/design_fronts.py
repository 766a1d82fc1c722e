"""Circuit design figures: every method against the fixed templates, transpiled to one fake device.

Runs (seed 0, complex128, ``torch.set_num_threads(threads)``):

* LiH (STO-3G, frozen core, 10 qubits) at three bond lengths: the designed circuit (default
  ``adapt``) within 1.6 mHa of the exact active-space energy, its transpiled two-qubit gates
  against UCCSD's on the same backend;
* TFIM ring N=8, h=1: the designed circuit (default ``evolve``) at ground-space fidelity
  0.999 against the cheapest HVA depth that reaches it.

Usage::

    python -m benchmarks.design_fronts [--backend fake_kolkata] [--methods adapt,tetris,...]
        [--problems lih,tfim] [--out benchmarks/results/design] [--threads 2]

Writes one ``DesignResult`` JSON per (problem, method) and a Pareto-front PNG per problem,
and prints a table (also ``summary.json``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    from qml.design import design, plot_fronts, template_row
    from qml.design.target import embed, get_target, interaction_pairs
    from qml.problems import get_problem

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="fake_kolkata")
    ap.add_argument("--problems", default="lih,tfim")
    ap.add_argument("--lih-methods", default="adapt,tetris,qubit-adapt")
    ap.add_argument("--tfim-methods", default="evolve,adapt,tetris,dqas")
    ap.add_argument("--bond-lengths", default="1.0,1.6,3.0")
    ap.add_argument("--out", default="benchmarks/results/design")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = get_target(args.backend)
    summary: list[dict] = []

    def record(tag: str, r, extra: dict) -> None:
        r.save(out / f"{tag}.json")
        row = {
            "run": tag,
            "method": r.method,
            "two_qubit_gates": r.two_qubit_gates,
            "depth": r.depth,
            "parameters": r.parameters,
            "abs_error": r.abs_error,
            "fidelity": r.fidelity,
            "reached": r.reached,
            "baseline": r.baseline.get("label"),
            "baseline_two_qubit_gates": r.baseline.get("two_qubit_gates"),
            "seconds": round(r.timings["total"], 1),
            **extra,
        }
        summary.append(row)
        print(json.dumps(row), flush=True)

    if "lih" in args.problems:
        for R in (float(x) for x in args.bond_lengths.split(",")):
            p = get_problem("lih", bond_length=R)
            lay = embed(p.n_wires, target, interaction_pairs(p.hamiltonian))
            ucc = template_row(p, "uccsd", 1, target, [None, lay], p.exact())
            results = []
            for m in args.lih_methods.split(","):
                t0 = time.perf_counter()
                r = design(
                    p, m, target, templates=(m == args.lih_methods.split(",")[0]), progress=lambda s: None
                )
                r.templates = r.templates or results[0].templates if results else r.templates
                results.append(r)
                record(
                    f"lih_{R:g}_{m}",
                    r,
                    {
                        "uccsd_two_qubit_gates": ucc["two_qubit_gates"],
                        "ratio_to_uccsd": r.two_qubit_gates / ucc["two_qubit_gates"],
                        "wall": round(time.perf_counter() - t0, 1),
                    },
                )
            plot_fronts(results, out / f"lih_{R:g}_front.png")
    if "tfim" in args.problems:
        p = get_problem("tfim", n=8, h=1.0)
        results = []
        for m in args.tfim_methods.split(","):
            t0 = time.perf_counter()
            r = design(p, m, target, target_fidelity=0.999, templates=(not results), progress=lambda s: None)
            if results:
                r.templates = results[0].templates
            results.append(r)
            hva = [t for t in results[0].templates if t["ansatz"] == "hva" and t["fidelity"] >= 0.999]
            cheapest = min(hva, key=lambda t: t["two_qubit_gates"]) if hva else None
            record(
                f"tfim8_{m}",
                r,
                {
                    "hva_reaching": None if cheapest is None else cheapest["label"],
                    "hva_two_qubit_gates": None if cheapest is None else cheapest["two_qubit_gates"],
                    "wall": round(time.perf_counter() - t0, 1),
                },
            )
        plot_fronts(results, out / "tfim8_front.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
