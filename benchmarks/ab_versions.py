"""Interleaved A/B of two versions of the package on the W1/W2 native workloads.

Two source trees (``--before``: e.g. a ``git worktree`` of the last commit; ``--after``:
this checkout) are timed in alternating subprocesses, ``before, after, before, after, ...``,
so that slow stretches of the machine hit both alike. Each subprocess imports ``qml`` from
its tree, builds the workloads, warms them up and times each for ``--calls`` calls
(median), with the same thread count. The report gives, per workload, the median over
rounds of each version and the median of the per-round ratios ``after / before``.

Workloads (complex128 unless said; W1: the batch mean of ``<sum Z_i>`` and its gradient in
all weights, shared weights, ``(B, n)`` inputs; W2: the periodic TFIM energy of one
circuit and its gradient):

* ``w1-n4-B256-L2`` / ``w1-n8-B256-L2`` / ``w1-n12-B256-L2`` (``diff="auto"``), and
  ``w1-reupload-n6-B64-L4`` (inputs read in every layer);
* ``w2-n12-L5-adjoint``, ``w2-n16-L5-adjoint``, ``w2-n8-L4-adjoint`` (small-circuit overhead),
  ``w2-n12-L5-shift`` (``diff="parameter-shift"``).

Run from the repository root::

    git worktree add /tmp/before HEAD
    python -m benchmarks.ab_versions --before /tmp/before --after . --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys, time, statistics
import torch
torch.set_num_threads(int(sys.argv[1]))
calls = int(sys.argv[2])
from qml import Circuit, Simulator, W, X
from qml.paulis import PauliSum, PauliString


def hea(n, layers, encode=True, reupload=False):
    c = Circuit(n)
    k = 0
    for layer in range(layers):
        if encode and (layer == 0 or reupload):
            for q in range(n):
                c = c.add("RX", q, X(q))
        for q in range(n):
            c = c.add("RY", q, W(k)).add("RZ", q, W(k + 1))
            k += 2
        for q in range(n - 1):
            c = c.add("CNOT", (q, q + 1))
    return c


def zsum(n):
    return PauliSum.from_terms([(1.0, PauliString.from_dict({i: "Z"})) for i in range(n)])


def tfim(n):
    t = [(-1.0, PauliString.from_dict({i: "Z", (i + 1) % n: "Z"})) for i in range(n)]
    return PauliSum.from_terms(t + [(-1.0, PauliString.from_dict({i: "X"})) for i in range(n)])


def w1(n, B, L, reupload=False):
    c = hea(n, L, reupload=reupload)
    g = torch.Generator().manual_seed(n * 100 + B)
    w = torch.rand(c.n_weights, dtype=torch.float64, generator=g).requires_grad_(True)
    x = torch.rand(B, n, dtype=torch.float64, generator=g)
    sim, obs = Simulator(), zsum(n)

    def step():
        w.grad = None
        sim.expval(c, obs, w, x).mean().backward()
    return step


def w2(n, L, diff):
    c = hea(n, L, encode=False)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64).requires_grad_(True)
    sim, h = Simulator(diff=diff), tfim(n)

    def step():
        w.grad = None
        sim.expval(c, h, w).backward()
    return step


work = {
    "w1-n4-B256-L2": w1(4, 256, 2),
    "w1-n8-B256-L2": w1(8, 256, 2),
    "w1-n12-B256-L2": w1(12, 256, 2),
    "w1-reupload-n6-B64-L4": w1(6, 64, 4, reupload=True),
    "w2-n8-L4-adjoint": w2(8, 4, "adjoint"),
    "w2-n12-L5-adjoint": w2(12, 5, "adjoint"),
    "w2-n16-L5-adjoint": w2(16, 5, "adjoint"),
    "w2-n12-L5-shift": w2(12, 5, "parameter-shift"),
}
out = {}
for name, fn in work.items():
    for _ in range(3):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    out[name] = statistics.median(times)
import qml
print(json.dumps({"qml": qml.__file__, "times": out}))
"""


def _run(tree: Path, threads: int, calls: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()), OMP_NUM_THREADS=str(threads))
    env["MKL_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(threads)
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(threads), str(calls)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(res.stdout.strip().splitlines()[-1])
    if not Path(data["qml"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the subprocess imported {data['qml']}, not the tree {tree}")
    return data["times"]


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the report (JSON with ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, default=Path("."))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rounds: list[tuple[dict[str, float], dict[str, float]]] = []
    for r in range(args.rounds):
        before = _run(args.before, args.threads, args.calls)
        after = _run(args.after, args.threads, args.calls)
        rounds.append((before, after))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    report = {}
    for name in rounds[0][0]:
        b = [x[name] for x, _ in rounds]
        a = [y[name] for _, y in rounds]
        report[name] = {
            "before_ms": 1e3 * statistics.median(b),
            "after_ms": 1e3 * statistics.median(a),
            "ratio_median": statistics.median(y / x for x, y in zip(b, a, strict=True)),
            "ratio_min": min(y / x for x, y in zip(b, a, strict=True)),
            "ratio_max": max(y / x for x, y in zip(b, a, strict=True)),
        }
    head = f"{'workload':26s} {'before ms':>10s} {'after ms':>10s} {'after/before':>13s}"
    print(head + " (min-max over rounds)")
    for name, row in report.items():
        print(
            f"{name:26s} {row['before_ms']:10.3f} {row['after_ms']:10.3f} {row['ratio_median']:13.3f} "
            f"({row['ratio_min']:.3f}-{row['ratio_max']:.3f})"
        )
    if args.json is not None:
        meta = {"rounds": args.rounds, "calls": args.calls, "threads": args.threads}
        args.json.write_text(json.dumps({"meta": meta, "workloads": report}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
