"""``qml bench``: run the benchmark scripts of ``benchmarks/`` from the command line.

Each workload runs in a fresh Python process (``python -m benchmarks.bench_w1 ...``) from
the repository root: the thread settings (``--threads``) must be in the environment before
torch, OpenMP and BLAS load, which only a new process guarantees. Everything after the
workload name goes to the script unchanged (``qml bench w1 --help`` lists its options).

The scripts write benchmark tables (``<out>/<workload>.csv``, a JSON of ``{"meta", "rows"}``,
Markdown, PNG): data files, not the result records :func:`qml.optimize.load_result` reads.

The scripts live in the source checkout, not in the installed package: ``qml bench`` needs
an editable install (``pip install -e .``) or to be run from the repository.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> _ = add_bench_command(p.add_subparsers(dest="command"))
    >>> args = p.parse_args(["bench", "w1", "--quick", "--threads", "1"])
    >>> args.workload, args.script_args
    ('w1', ['--quick', '--threads', '1'])
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from qml.errors import ConfigError

__all__ = ["ALL", "WORKLOADS", "add_bench_command", "run_workloads"]

WORKLOADS = {
    "w1": "QML training step (batch of inputs, forward + weight gradient)",
    "w2": "VQE energy gradient of the periodic TFIM, one circuit",
    "w3": "sampling bitstrings (simulation + shots)",
    "peers": "forward state, training step and energy gradient against qsim, qulacs, TensorCircuit-NG "
    "and torchquantum (pip install 'qml-circuits[bench]'; not part of 'all')",
}
#: What ``qml bench all`` runs (the peers need the ``bench`` extra and take minutes).
ALL: tuple[str, ...] = ("w1", "w2", "w3")


def benchmarks_root(start: Path | None = None) -> Path:
    """The repository root that holds ``benchmarks/bench_w1.py``.

    Looks next to the ``qml`` package (editable install), then in the current directory.

    Raises:
        FileNotFoundError: No checkout with the benchmark scripts was found.
    """
    candidates = [Path(__file__).resolve().parent.parent, (start or Path.cwd()).resolve()]
    for root in candidates:
        if (root / "benchmarks" / "bench_w1.py").is_file():
            return root
    raise FileNotFoundError(
        "qml bench needs the benchmark scripts of a source checkout (benchmarks/bench_w1.py); "
        f"looked in {', '.join(str(c) for c in candidates)}. Clone the repository and install it "
        "with 'pip install -c constraints.txt -e \".[all]\"', or run 'qml bench' from its root."
    )


def run_workloads(workloads: list[str], script_args: list[str], root: Path | None = None) -> int:
    """Run ``benchmarks.bench_<w>`` for each workload in a subprocess; the first failure's code.

    Args:
        workloads: Names from :data:`WORKLOADS`.
        script_args: Arguments passed to every script.
        root: Repository root (default: :func:`benchmarks_root`).
    """
    root = root or benchmarks_root()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    for w in workloads:
        cmd = [sys.executable, "-m", f"benchmarks.bench_{w}", *script_args]
        code = subprocess.run(cmd, cwd=root, env=env, check=False).returncode
        if code:
            return code
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    names = list(ALL) if args.workload == "all" else [args.workload]
    try:
        root = benchmarks_root()
    except FileNotFoundError as err:  # the one error policy of qml.apps.cli.main: one line, exit 2
        raise ConfigError(f"qml bench: {err}") from None
    return run_workloads(names, list(args.script_args), root)


def add_bench_command(subparsers: Any) -> argparse.ArgumentParser:
    """Attach ``qml bench {w1,w2,w3,all} [script options...]`` to a sub-parser set."""
    lines = "\n".join(f"  {k}: {v}" for k, v in WORKLOADS.items())
    p = subparsers.add_parser(
        "bench",
        help="run the simulator benchmarks against PennyLane and Qiskit Aer",
        description=(
            "Run a benchmark workload in a fresh process (same thread count for every "
            "contender, median of repeats, peak memory; CSV/JSON/Markdown/PNG in --out).\n"
            "--out holds benchmark tables (data: read with csv or json), not result records "
            "of qml.optimize.load_result.\n"
            f"{lines}\n  all: {', '.join(ALL)} in turn\n"
            "Options after the workload go to the script, e.g. 'qml bench w1 --quick', "
            "'qml bench w2 --dtype complex64 --threads 1', 'qml bench w1 --help'."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("workload", choices=[*WORKLOADS, "all"], help="which workload")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="options for the benchmark script")
    p.set_defaults(func=_cmd_bench)
    return p
