"""The hardware sub-commands of the ``qml`` command: ``submit``, ``jobs``, ``budget``.

The ``qml`` entry point (:mod:`qml.apps.cli`) attaches them with::

    from qml.apps.hardware import add_hardware_commands
    add_hardware_commands(subparsers)          # subparsers = parser.add_subparsers(...)
    ...
    args = parser.parse_args(argv)
    return args.func(args)                     # each command returns an exit code

Commands:

* ``qml submit EXPERIMENT --backend ibm_<name> [--dry-run] [--offline]`` runs an
  experiment file on IBM Quantum through the job ledger; ``--dry-run`` only transpiles
  and prints the ISA depth, two-qubit gate count, shots and an estimated cost (with the
  fake backend of the same name when there is no account or ``--offline``).
* ``qml jobs list|show|wait|cancel|results`` inspects and manages ledger jobs; ``results
  --out FILE`` exports a job's raw result arrays (``.npz``, or ``.json`` of nested lists): a
  data export read with ``numpy.load`` or :mod:`json`, not a result record of
  :func:`qml.optimize.load_result`. ``qml submit`` writes no file (``--json`` prints its report).
* ``qml budget [--set-shots N] [--set-seconds S]`` shows or sets a budget.

All take ``--ledger PATH`` (default ``$QML_LEDGER`` or ``~/.qml/ledger.sqlite``) and
``--json`` for machine-readable output. Output goes to the ``out`` stream of the
command functions (standard output by default); messages go through :mod:`logging`.

Experiment files: ``qml design --out`` results (the designed circuit at its weights, the
problem's Hamiltonian as the observable), the VQE experiment files of ``qml run`` (``circuits/*.toml``, with a
``[problem]`` table: the problem's ansatz and Hamiltonian are submitted, at the weights of
``--weights RESULT.json`` from ``qml run --out`` or at the problem's initial weights; a dry
run counts the parameter-shifted rows of one gradient step), or circuit files (TOML or JSON)::

    name = "bell"
    circuit = "bell.json"        # a qml circuit JSON or an OpenQASM 3 file (path relative
                                 # to the experiment file), or an inline circuit dict
    observables = ["Z0 Z1", "X0 X1"]
    weights = [0.1, 0.2]         # (P,) or (B, P); default zeros
    inputs = [0.3]               # (F,) or (B, F); optional
    shots = 4000                 # default: options.shots
    gradient = false             # dry run: also count the parameter-shifted rows
    run_id = "bell-2024-06-01"   # optional; resubmitting the same run id reuses its jobs
    [options]                    # any qml.backends.ibm.IBMOptions field
    resilience_level = 1

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="qml")
    >>> add_hardware_commands(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["jobs", "list", "--limit", "5"]).limit
    5
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from qml.errors import ConfigError, QMLError
from qml.tables import check_layout, method_of, read_table

log = logging.getLogger(__name__)

__all__ = [
    "Experiment",
    "add_budget_parser",
    "add_hardware_commands",
    "add_jobs_parser",
    "add_submit_parser",
    "cmd_budget",
    "cmd_jobs",
    "cmd_submit",
    "load_experiment",
    "main",
]


@dataclass(frozen=True)
class Experiment:
    """A parsed experiment file.

    Attributes:
        name: Label.
        circuit: The circuit.
        observables: Observables (Pauli texts or sums).
        weights: Weights (list or nested list), or ``None`` for zeros.
        inputs: Inputs, or ``None``.
        shots: Shots, or ``None`` for the options' default.
        gradient: Count parameter-shifted rows in dry runs.
        run_id: Run id, or ``None``.
        options: :class:`~qml.backends.ibm.IBMOptions` fields.
    """

    name: str
    circuit: Any
    observables: list[Any]
    weights: Any
    inputs: Any
    shots: int | None
    gradient: bool
    run_id: str | None
    options: dict[str, Any]


def _from_vqe_file(p: Path, weights_file: str | Path | None) -> Experiment:
    """A ``qml run`` VQE experiment file: its ansatz and Hamiltonian at given weights."""
    from qml.experiment import load_experiment as load_vqe_experiment
    from qml.problems import get_problem

    exp = load_vqe_experiment(p)
    problem = get_problem(exp.problem["name"], **{k: v for k, v in exp.problem.items() if k != "name"})
    circuit = problem.ansatz(exp.ansatz.get("layers"), exp.ansatz.get("name"))
    if weights_file is not None:
        from qml.optimize.results import load_result

        rec = load_result(weights_file)
        inner = getattr(rec, "result", None)  # `qml run --out` wraps the VQE result with its checks
        weights = list(getattr(inner if inner is not None else rec, "best_weights", []))
        if len(weights) != circuit.n_weights:
            raise ConfigError(
                f"{weights_file} has {len(weights)} weights but the ansatz of {p.name} needs "
                f"{circuit.n_weights}"
            )
    else:
        weights = problem.initial_weights(exp.seed, circuit).tolist()
    shots = exp.optimizer.get("shots")
    return Experiment(
        name=exp.name,
        circuit=circuit,
        observables=[problem.hamiltonian],
        weights=weights,
        inputs=None,
        shots=int(shots) if shots else None,
        gradient=True,
        run_id=None,
        options={},
    )


def _from_design_result(p: Path) -> Experiment:
    """A ``qml design --out`` result: the designed circuit at its weights, the problem's Hamiltonian."""
    from qml.design.result import DesignResult
    from qml.problems import get_problem

    r = DesignResult.load(p)
    if r.circuit is None or not r.problem_name:
        raise ConfigError(f"{p} holds no circuit or no problem name; rerun qml design with --out")
    problem = get_problem(r.problem_name, **r.problem_params)
    return Experiment(
        name=f"{p.stem} ({r.method} design)",
        circuit=r.circuit_obj(),
        observables=[problem.hamiltonian],
        weights=list(r.best_weights),
        inputs=None,
        shots=None,
        gradient=False,
        run_id=None,
        options={},
    )


def load_experiment(path: str | Path, weights_file: str | Path | None = None) -> Experiment:
    """Read an experiment file: a ``qml run`` VQE file or a circuit file (module docstring).

    Args:
        path: The file (``.toml`` or ``.json``).
        weights_file: For VQE files: a ``qml run --out`` result whose ``best_weights`` are used.

    Raises:
        ValueError: For a missing/unknown key or an unreadable circuit, naming it.
    """
    from qml.ir import Circuit

    p = Path(path)
    data = read_table(p, (".toml", ".json"))
    if data.get("kind") == "design":
        return _from_design_result(p)
    if method_of(data) != "submit":  # the VQE reader says where other methods belong
        return _from_vqe_file(p, weights_file)
    check_layout(data, p, "submit")
    for key in ("circuit", "observables"):
        if key not in data:
            raise ConfigError(f"experiment file {p} needs a {key!r} entry")
    spec = data["circuit"]
    if isinstance(spec, dict):
        circuit = Circuit.from_dict(spec)
    elif isinstance(spec, str):
        cp = (p.parent / spec) if not Path(spec).is_absolute() else Path(spec)
        if not cp.is_file():
            raise ConfigError(f"circuit file {str(cp)!r} (from {p}) does not exist")
        if cp.suffix.lower() in (".qasm", ".qasm2", ".qasm3"):
            from qml.interop.qasm import from_qasm

            circuit = from_qasm(cp.read_text())
        else:
            circuit = Circuit.from_json(cp.read_text())
    else:
        raise ConfigError(
            f"'circuit' must be a file name or an inline circuit table, got {type(spec).__name__}"
        )
    obs = data["observables"]
    obs = [obs] if isinstance(obs, str) else list(obs)
    shots = data.get("shots")
    if shots is not None and (not isinstance(shots, int) or shots < 1):
        raise ConfigError(f"'shots' must be a positive integer, got {shots!r}")
    return Experiment(
        name=str(data.get("name", p.stem)),
        circuit=circuit,
        observables=[str(o) for o in obs],
        weights=data.get("weights"),
        inputs=data.get("inputs"),
        shots=shots,
        gradient=bool(data.get("gradient", False)),
        run_id=data.get("run_id"),
        options=dict(data.get("options", {})),
    )


# -- parser builders ------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ledger", default=None, help="ledger file (default: $QML_LEDGER or ~/.qml/ledger.sqlite)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable JSON output")


def add_submit_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``submit`` to an ``add_subparsers()`` object; returns the new parser."""
    p = subparsers.add_parser("submit", help="run an experiment file on IBM Quantum (through the job ledger)")
    p.add_argument("experiment", help="experiment file (.toml or .json)")
    p.add_argument(
        "--backend", required=True, help="IBM backend, e.g. ibm_brisbane (fake_manila: local testing)"
    )
    p.add_argument("--dry-run", action="store_true", help="transpile and estimate only; submit nothing")
    p.add_argument("--offline", action="store_true", help="dry run with the fake backend of the same name")
    p.add_argument("--shots", type=int, default=None, help="override the experiment's shots")
    p.add_argument(
        "--weights", default=None, help="VQE experiment files: a `qml run --out` result to evaluate"
    )
    p.add_argument("--run-id", default=None, help="run id (resubmitting a run id reuses its jobs)")
    p.add_argument("--budget", default="default", help="budget charged (see `qml budget`)")
    p.add_argument("--timeout", type=float, default=None, help="stop waiting after this many seconds")
    _common(p)
    p.set_defaults(func=cmd_submit)
    return p


def add_jobs_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``jobs list|show|wait|cancel|results``; returns the ``jobs`` parser."""
    p = subparsers.add_parser("jobs", help="list and manage jobs of the ledger")
    sub = p.add_subparsers(dest="jobs_command", required=True, metavar="{list,show,wait,cancel,results}")
    lp = sub.add_parser("list", help="list jobs (newest last)")
    lp.add_argument("--run", default=None, help="only this run id")
    lp.add_argument("--status", default=None, help="only this status (QUEUED, RUNNING, DONE, ERROR, ...)")
    lp.add_argument("--limit", type=int, default=20, help="show the newest N (default 20)")
    _common(lp)
    for name, text in (
        ("show", "details of one job"),
        ("wait", "wait for a job and store its result"),
        ("cancel", "cancel a job"),
        ("results", "print or save a job's result arrays"),
    ):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("job", help="ledger id, job id or idempotency key")
        if name == "wait":
            sp.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")
        if name == "results":
            sp.add_argument(
                "--out",
                default=None,
                help="write the raw result arrays to a .npz or .json file instead of printing (a data "
                "export read with numpy.load or json, not a result record for qml.optimize.load_result)",
            )
        _common(sp)
    p.set_defaults(func=cmd_jobs)
    return p


def add_budget_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``budget``; returns the new parser."""
    p = subparsers.add_parser("budget", help="show or set the shot/QPU-time budget of the ledger")
    p.add_argument("--name", default="default", help="budget name (default: default)")
    p.add_argument("--set-shots", type=int, default=None, help="set the shot limit (-1: unlimited)")
    p.add_argument(
        "--set-seconds", type=float, default=None, help="set the QPU-seconds limit (-1: unlimited)"
    )
    _common(p)
    p.set_defaults(func=cmd_budget)
    return p


def add_hardware_commands(subparsers: Any) -> None:
    """Attach ``submit``, ``jobs`` and ``budget`` to the ``qml`` command's sub-parsers.

    Each parser sets ``func``: call ``args.func(args)`` and use its return value as exit code.
    """
    add_submit_parser(subparsers)
    add_jobs_parser(subparsers)
    add_budget_parser(subparsers)


# -- helpers --------------------------------------------------------------------------------
def _cli_errors(fn: Callable[..., int]) -> Callable[..., int]:
    """The ``qml`` error policy (:func:`qml.apps.cli.main`) with tokens redacted: a failed or timed-out job
    is exit 1, any other :class:`~qml.errors.QMLError` one line and exit 2; anything else is a bug
    and propagates to the command's traceback."""

    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace, out: TextIO | None = None) -> int:
        from qml.backends.jobs import JobFailedError, JobTimeoutError
        from qml.backends.ledger import redact

        try:
            return fn(args, out)
        except (JobFailedError, JobTimeoutError) as err:
            sys.stderr.write(f"qml {args.command}: {redact(str(err))}\n")
            return 1
        except QMLError as err:
            sys.stderr.write(f"qml: error: {redact(str(err))}\n")  # the service may echo a token
            return 2

    return wrapper


def _write(out: TextIO, text: str = "") -> None:
    out.write(text + "\n")


def _ledger_path(args: argparse.Namespace) -> Path:
    from qml.backends.ledger import default_ledger_path

    return Path(args.ledger).expanduser() if args.ledger else default_ledger_path()


def _ledger(args: argparse.Namespace) -> Any:
    from qml.backends.ledger import Ledger

    return Ledger(_ledger_path(args))


def _target_for_dry_run(name: str, offline: bool) -> tuple[Any, str]:
    """The backend object to transpile for, and a note on where it came from."""
    from qml.backends.ibm import IBMAccountError, ibm_service, is_fake_name
    from qml.backends.qiskit_common import fake_backend

    if is_fake_name(name) or offline:
        return fake_backend(name), "fake backend (offline)"
    try:
        service = ibm_service()
        return service.backend(name), "IBM Quantum (live calibration)"
    except IBMAccountError:
        note = "no IBM account configured"
    except Exception as exc:
        from qml.backends.ledger import redact

        note = f"service unreachable ({type(exc).__name__}: {redact(str(exc))[:120]})"
    log.warning("%s: using the fake backend of the same name for the dry run", note)
    return fake_backend(name), f"fake backend of the same name ({note})"


@_cli_errors
def cmd_submit(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``qml submit``: run (or dry-run) an experiment file. Returns the exit code."""
    import numpy as np

    from qml.backends.base import prepare
    from qml.backends.ibm import IBMBackend, IBMOptions, estimate_cost
    from qml.backends.qiskit_common import compile_slots
    from qml.backends.torch_backend import measurement_groups
    from qml.sim.shift import shift_plan

    out = out or sys.stdout
    exp = load_experiment(args.experiment, getattr(args, "weights", None))
    options = IBMOptions.from_dict(exp.options)
    if args.shots is not None and args.shots < 1:
        raise ConfigError(f"--shots must be a positive integer, got {args.shots}")
    shots = args.shots or exp.shots or options.shots
    weights = exp.weights if exp.weights is not None else np.zeros(exp.circuit.n_weights)
    prep = prepare(exp.circuit, exp.observables, weights, exp.inputs)
    if args.dry_run:
        target, source = _target_for_dry_run(args.backend, args.offline)
        cc = compile_slots(exp.circuit, target, options.optimization_level, options.seed_transpiler)
        rows = prep.batch * (1 + (len(shift_plan(exp.circuit).entries) if exp.gradient else 0))
        bases = max(len(measurement_groups(prep.observables)), 1)
        est = estimate_cost(cc, target, rows, bases, shots, options)
        report = {
            "experiment": exp.name,
            "backend": args.backend,
            "transpiled_for": target.name,
            "source": source,
            **est.to_dict(),
        }
        if args.json:
            _write(out, json.dumps(report, indent=2))
        else:
            _write(
                out, f"dry run of {exp.name!r} for {args.backend} (transpiled for {target.name}: {source})"
            )
            _write(
                out,
                f"  ISA circuit: {exp.circuit.n_wires} of the device's {est.n_qubits} qubits, "
                f"depth {est.depth}, {est.two_qubit_gates} two-qubit gates",
            )
            _write(
                out,
                f"  shots: {est.rows} parameter rows x {est.bases} bases x {est.shots} shots "
                f"(x{options.mitigation_factor():g} mitigation) = {est.total_shots}"
                + (" (one gradient step: the forward row and its shifted rows)" if exp.gradient else ""),
            )
            _write(
                out,
                f"  estimated QPU time {est.qpu_seconds:.1f} s, about ${est.usd:.2f} "
                f"at ${est.usd_per_second:.2f}/s (set QML_IBM_USD_PER_SECOND to change)",
            )
        return 0
    from qml.backends.jobs import PollPolicy

    backend = IBMBackend(
        args.backend,
        options=options,
        ledger=args.ledger,
        run_id=args.run_id or exp.run_id,
        budget=args.budget,
        poll=PollPolicy(timeout=args.timeout),
    )
    try:
        res = backend.run(exp.circuit, exp.observables, weights, exp.inputs, shots=shots)
    finally:
        backend.close()
    report = {
        "experiment": exp.name,
        "backend": backend.name,
        "run_id": backend.run_id,
        "job_ids": list(res.job_ids),
        "shots": res.shots,
        "observables": [str(o) for o in exp.observables],
        "expectations": res.expectations.tolist(),
        "stds": None if res.stds is None else res.stds.tolist(),
        "ledger": str(backend.ledger_path()),
    }
    if args.json:
        _write(out, json.dumps(report, indent=2))
    else:
        _write(out, f"{exp.name}: {backend.name}, run {backend.run_id}, jobs {', '.join(res.job_ids)}")
        for j, o in enumerate(exp.observables):
            if res.stds is None:
                vals = ", ".join(f"{v:+.6f}" for v in res.expectations[:, j])
            else:  # shot estimates: value +- standard error
                pairs = zip(res.expectations[:, j], res.stds[:, j], strict=True)
                vals = ", ".join(f"{v:+.6f} +- {e:.6f}" for v, e in pairs)
            _write(out, f"  <{o}> = {vals}")
    return 0


def _row(rec: Any) -> str:
    return (
        f"{rec.id:>5}  {rec.status:<9} {rec.job_id or '-'!s:<40} {rec.backend:<16} "
        f"{rec.run_id:<24} {rec.step if rec.step is not None else '-':>4} {rec.cost_shots:>9} "
        f"{(rec.updated or '')[:19]}"
    )


def _manager_for(ledger: Any, rec: Any) -> Any:
    from qml.backends.ibm import IBMOptions, RuntimeRunner, ibm_service
    from qml.backends.jobs import JobManager
    from qml.backends.ledger import LedgerError

    if rec.local:
        raise LedgerError(
            f"job {rec.id} ran in local testing mode ({rec.backend}); local jobs cannot be fetched again "
            "by id"
        )
    service = ibm_service()
    target = service.backend(rec.backend)
    opts = {k: v for k, v in rec.options.items() if k != "seed_simulator"}
    runner = RuntimeRunner(target, service, IBMOptions.from_dict(opts))
    return JobManager(ledger, runner, rec.run_id)


@_cli_errors
def cmd_jobs(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``qml jobs list|show|wait|cancel|results``. Returns the exit code.

    ``results --out FILE`` writes the job's raw arrays (``evs``, ``stds``, ...) as ``.npz`` or as
    JSON of nested lists: a data export, not a result record (:func:`qml.optimize.load_result`
    refuses it and says so).
    """
    import numpy as np

    from qml.backends.jobs import PollPolicy

    out = out or sys.stdout
    path = _ledger_path(args)
    if not path.exists():  # reading never creates a ledger
        if args.jobs_command == "list":
            _write(out, "[]" if args.json else f"(no ledger at {path} yet: nothing was submitted)")
            return 0
        raise ConfigError(f"no ledger at {path}: nothing was submitted yet (--ledger PATH reads another one)")
    ledger = _ledger(args)
    try:
        cmd = args.jobs_command
        if cmd == "list":
            recs = ledger.jobs(
                run_id=args.run, status=args.status.upper() if args.status else None, limit=args.limit
            )
            if args.json:
                _write(out, json.dumps([r.to_dict() for r in recs], indent=2))
            else:
                _write(
                    out,
                    f"{'id':>5}  {'status':<9} {'job id':<40} {'backend':<16} {'run':<24} "
                    f"{'step':>4} {'shots':>9} updated",
                )
                for r in recs:
                    _write(out, _row(r))
                if not recs:
                    _write(out, f"(no jobs in {ledger.path})")
            return 0
        rec = ledger.get(args.job)
        if cmd == "show":
            d = rec.to_dict()
            d["observables"] = ledger.observables(rec.key)
            d["circuit_qasm"] = ledger.circuit_qasm(rec.key)
            if args.json:
                _write(out, json.dumps(d, indent=2))
            else:
                for k, v in d.items():
                    if k != "circuit_qasm":
                        _write(out, f"{k:>16}: {v}")
                _write(out, "OpenQASM 3:")
                _write(out, d["circuit_qasm"] or "(none)")
            return 0
        if cmd == "results":
            arrays = ledger.result(rec.key)
            if args.out:
                path = Path(args.out)
                if path.suffix == ".npz":
                    np.savez(path, **arrays)
                else:
                    path.write_text(json.dumps({k: v.tolist() for k, v in arrays.items()}, indent=2))
                _write(out, f"wrote {', '.join(arrays)} of job {rec.id} to {path}")
            elif args.json:
                _write(out, json.dumps({k: v.tolist() for k, v in arrays.items()}, indent=2))
            else:
                for k, v in arrays.items():
                    _write(out, f"{k} {tuple(v.shape)}:\n{np.array2string(v, precision=6)}")
            return 0
        if rec.final:
            _write(out, f"job {rec.id} ({rec.job_id}) is already {rec.status}")
            return 0 if rec.status == "DONE" else 1
        manager = _manager_for(ledger, rec)
        if cmd == "wait":
            manager.poll = PollPolicy(timeout=args.timeout)
            rec = manager.wait_for(rec.key)
        else:  # cancel
            rec = manager.cancel(rec.key)
        _write(
            out,
            json.dumps(rec.to_dict(), indent=2)
            if args.json
            else f"job {rec.id} ({rec.job_id}): {rec.status}",
        )
        return 0 if rec.status in ("DONE", "CANCELLED") else 1
    finally:
        ledger.close()


@_cli_errors
def cmd_budget(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``qml budget``: show budgets, or set one's limits. Returns the exit code."""
    out = out or sys.stdout
    setting = args.set_shots is not None or args.set_seconds is not None
    if not setting and not _ledger_path(args).exists():  # showing never creates a ledger
        none = f"(no ledger at {_ledger_path(args)} yet: no budget is set, no limit)"
        _write(out, "[]" if args.json else none)
        return 0
    ledger = _ledger(args)
    try:
        if setting:
            cur = ledger.budget(args.name)
            shots = (
                cur.max_shots if args.set_shots is None else (None if args.set_shots < 0 else args.set_shots)
            )
            secs = (
                cur.max_seconds
                if args.set_seconds is None
                else (None if args.set_seconds < 0 else args.set_seconds)
            )
            ledger.set_budget(args.name, max_shots=shots, max_seconds=secs)
        budgets = ledger.budgets() or [ledger.budget(args.name)]
        if args.json:
            _write(
                out,
                json.dumps(
                    [
                        {
                            **b.__dict__,
                            "remaining_shots": b.remaining_shots,
                            "remaining_seconds": b.remaining_seconds,
                        }
                        for b in budgets
                    ],
                    indent=2,
                ),
            )
            return 0
        _write(out, f"budgets in {ledger.path}:")
        for b in budgets:
            lim_s = "unlimited" if b.max_shots is None else f"{b.max_shots}"
            lim_t = "unlimited" if b.max_seconds is None else f"{b.max_seconds:.1f} s"
            _write(
                out,
                f"  {b.name}: shots {b.used_shots} used + {b.reserved_shots} reserved of {lim_s}; "
                f"QPU time {b.used_seconds:.1f} s used + {b.reserved_seconds:.1f} s reserved of {lim_t}",
            )
        return 0
    finally:
        ledger.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point (``python -m qml.apps.hardware ...``) with the same commands."""
    parser = argparse.ArgumentParser(prog="qml", description="IBM Quantum job commands of qml-circuits")
    add_hardware_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
