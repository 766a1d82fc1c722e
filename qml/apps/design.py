"""``qml design``: search for the cheapest circuit on a device that reaches a target accuracy.

Usage::

    qml design --problem lih --bond-length 1.6 --method adapt --backend fake_kolkata \\
        --target-error 1.6e-3 --out d.json --plot front.png
    qml design --problem tfim --n 8 --param h=1 --method evolve --backend fake_kolkata \\
        --target-fidelity 0.999 --workers 2 --out tfim.json
    qml submit d.json --backend ibm_kyiv --dry-run     # the designed circuit, on hardware

``--out`` writes a :class:`qml.design.DesignResult` (kind ``"design"``: ``two_qubit_gates``,
``depth``, ``rel_error``, ``fidelity``, ``parameters`` and a ``baseline`` object with the
same keys for the problem's default ansatz on the same backend, the history and the Pareto
front); ``--plot`` draws the front. The exit status is 0 when the targets are reached, 1
when not (the result is still written), 2 for bad input, 130 on Ctrl-C.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="qml").add_subparsers(dest="command")
    >>> p = add_design_command(sub)
    >>> a = p.parse_args(["--problem", "h2", "--method", "tetris", "--backend", "fake_manila"])
    >>> a.method, a.target_error
    ('tetris', None)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)


def add_design_command(subparsers: Any) -> argparse.ArgumentParser:
    """Attach ``qml design`` to an ``add_subparsers()`` object; returns its parser."""
    from qml.apps.cli import add_problem_arguments
    from qml.design.search import METHODS

    d = subparsers.add_parser(
        "design", help="search for the cheapest circuit on a device that reaches a target"
    )
    add_problem_arguments(d)
    d.add_argument("--bond-length", type=float, default=None, help="molecules: bond length in Angstrom")
    d.add_argument("--method", default="adapt", choices=METHODS, help="design method (default adapt)")
    d.add_argument(
        "--backend",
        default="fake_kolkata",
        help="target device: a fake IBM backend (fake_kolkata, fake_guadalupe, ...)",
    )
    d.add_argument(
        "--target-error",
        type=float,
        default=None,
        help="absolute energy error to reach (default 1.6e-3 Ha for molecules)",
    )
    d.add_argument(
        "--target-fidelity",
        type=float,
        default=None,
        help="ground-space fidelity to reach (default 0.999 for spin models)",
    )
    d.add_argument("--optimization-level", type=int, default=1, choices=(0, 1, 2, 3), help="transpiler level")
    d.add_argument("--baseline", default=None, help="ansatz of the baseline (default: the problem's)")
    d.add_argument("--no-templates", action="store_true", help="skip the fixed templates' front")
    d.add_argument("--max-template-layers", type=int, default=None, help="deepest template scored")
    d.add_argument("--no-compress", action="store_true", help="do not try to compress the design")
    d.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a method option, e.g. max_ops=30, generations=4, layers=3 (repeatable)",
    )
    d.add_argument("--seed", type=int, default=0, help="seed of every stochastic step")
    d.add_argument("--workers", type=int, default=1, help="evolve: evaluate candidates on N local workers")
    d.add_argument("--scheduler", default=None, help="evolve: candidates on a Dask scheduler tcp://host:8786")
    d.add_argument(
        "--out", default=None, help="write the result (JSON: a 'design' record, submittable with qml submit)"
    )
    d.add_argument("--plot", default=None, help="write the Pareto fronts (PNG)")
    d.add_argument("--json", action="store_true", help="print the result as JSON")
    d.set_defaults(func=design_command)
    return d


def design_command(args: argparse.Namespace, out: Any = None) -> int:
    """Run ``qml design`` from parsed arguments; returns the exit status."""
    from qml.apps.cli import (
        EXIT_INTERRUPTED,
        CLIError,
        executor_from_args,
        fixed_parameters,
        parse_assignments,
    )
    from qml.design import design, plot_fronts
    from qml.problems import get_problem

    stream = out or sys.stdout
    params = fixed_parameters(args)
    if args.bond_length is not None:
        params["bond_length"] = args.bond_length
    options = parse_assignments(args.option, "--option", "max_ops=30")
    if args.workers < 1:
        raise CLIError(f"--workers must be >= 1, got {args.workers}")
    problem = get_problem(args.problem, **params)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    executor = executor_from_args(args) if args.method == "evolve" else None
    try:
        result = design(
            problem,
            args.method,
            args.backend,
            target_error=args.target_error,
            target_fidelity=args.target_fidelity,
            seed=args.seed,
            optimization_level=args.optimization_level,
            templates=not args.no_templates,
            max_template_layers=args.max_template_layers,
            baseline_ansatz=args.baseline,
            compress=not args.no_compress,
            executor=executor,
            progress=progress,
            options=options,
        )
    except KeyboardInterrupt:
        print("qml design: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TypeError as err:  # an --option the method does not take
        if "unexpected keyword" in str(err):
            raise CLIError(f"--option: {err}") from None
        raise
    finally:
        if executor is not None:
            executor.close()
    if args.out:
        result.save(args.out)
    if args.plot:
        plot_fronts([result], args.plot)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1), file=stream)
    else:
        print(result.summary(), file=stream)
        if args.out:
            print(
                f"wrote {args.out} (submit with: qml submit {args.out} --backend <ibm_name> --dry-run)",
                file=stream,
            )
    return 0 if result.reached else 1


__all__ = ["add_design_command", "design_command"]
