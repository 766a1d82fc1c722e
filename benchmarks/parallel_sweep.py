"""Scale-out benchmark: 32 independent TFIM VQE tasks, serial vs a Dask LocalCluster of single-thread workers.

The tasks are :func:`qml.parallel.grid_specs` of the periodic TFIM (``--n`` sites, default 10) over 8
fields x 4 seeds, HVA with ``n / 2`` layers, L-BFGS. Both runs go through :func:`qml.parallel.run_sweep`
into fresh result directories (serial: in this process with one torch thread; parallel:
``make_executor("local", workers=W)``). Reported: wall time of each run (cluster start-up and the
workers' first imports measured separately, as a warm-up), speed-up, the scheduler's round trip
per task (median of 3 batches of 200 no-op tasks on the warm cluster), and whether the two runs agree
bit for bit (energies and weights).

    python -m benchmarks.parallel_sweep [--n 10] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def _noop(x: int) -> int:
    return x


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    import torch

    from qml.parallel import ResultStore, grid_specs, make_executor, run_sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="TFIM ring sites")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes")
    ap.add_argument("--steps", type=int, default=150, help="L-BFGS iterations per task")
    ap.add_argument("--json", default=None, help="write the numbers here")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    fields = [round(0.25 * k, 2) for k in range(1, 9)]
    specs = grid_specs("tfim", {"n": args.n}, {"h": fields}, seeds=4, layers=[args.n // 2], steps=args.steps)
    root = Path(tempfile.mkdtemp(prefix="qml-bench-sweep-"))
    t0 = time.perf_counter()
    run_sweep(specs, root / "serial")
    serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex = make_executor("local", workers=args.workers)
    list(ex.as_completed(_noop, list(range(args.workers * 4))))
    ex.client.run(lambda: __import__("qml.optimize"))  # the workers' first import of torch and qml
    startup = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        report = run_sweep(specs, root / "parallel", ex)
        parallel = time.perf_counter() - t0
        rounds = []
        for _ in range(3):
            t0 = time.perf_counter()
            list(ex.as_completed(_noop, list(range(200))))
            rounds.append((time.perf_counter() - t0) / 200)
    finally:
        ex.close()
    a, b = ResultStore(root / "serial"), ResultStore(root / "parallel")
    same = all(
        a.load(s).energy == b.load(s).energy and a.load(s).best_weights == b.load(s).best_weights
        for s in specs
    )
    task_seconds = [a.load(s).timings["total"] for s in specs]
    out = {
        "tasks": len(specs),
        "n": args.n,
        "layers": args.n // 2,
        "steps": args.steps,
        "workers": args.workers,
        "threads_per_worker": 1,
        "dtype": "complex128",
        "serial_s": serial,
        "parallel_s": parallel,
        "startup_s": startup,
        "speedup": serial / parallel,
        "speedup_with_startup": serial / (parallel + startup),
        "overhead_per_task_ms": 1e3 * statistics.median(rounds),
        "median_task_s": statistics.median(task_seconds),
        "bitwise_equal": same,
        "done": report.counts()["done"],
    }
    print(
        f"| tasks | task median (s) | serial (s) | {args.workers} workers (s) | start-up (s) | speed-up "
        "| with start-up | overhead / task (ms) | bitwise equal |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {out['tasks']} (TFIM ring N={args.n}, {args.n // 2} HVA layers) | {out['median_task_s']:.2f} "
        f"| {serial:.1f} | {parallel:.1f} | {startup:.1f} | {out['speedup']:.2f}x "
        f"| {out['speedup_with_startup']:.2f}x | {out['overhead_per_task_ms']:.1f} | {same} |"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
