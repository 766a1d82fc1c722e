"""One error hierarchy: input errors are QMLErrors (and the built-in a caller expects); the CLI
prints them as one line, and anything else as a bug with its traceback."""

from __future__ import annotations

import ast
import pathlib
import pickle
import sys

import pytest

import qml
from qml.apps import cli
from qml.backends.jobs import JobFailedError, JobTimeoutError
from qml.backends.ledger import LedgerError
from qml.errors import CircuitError, ConfigError, ConfigTypeError, MissingExtraError, QMLError
from qml.ir import Circuit
from qml.problems import get_problem
from qml.sim.memory import SimulationMemoryError


def test_the_classes_are_also_the_builtins_callers_catch():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, QMLError)
    assert issubclass(CircuitError, ValueError)
    assert issubclass(CircuitError, QMLError)
    assert issubclass(MissingExtraError, ModuleNotFoundError)
    assert issubclass(ConfigTypeError, TypeError)
    for cls, builtin in [
        (SimulationMemoryError, MemoryError),
        (JobFailedError, RuntimeError),
        (JobTimeoutError, TimeoutError),
        (LedgerError, RuntimeError),
        (cli.CLIError, Exception),
    ]:
        assert issubclass(cls, QMLError)
        assert issubclass(cls, builtin)
    err = MissingExtraError("quimb", "dmrg", "DMRG")
    assert (err.name, err.extra) == ("quimb", "dmrg")
    assert str(err).endswith("install it with: pip install 'qml-circuits[dmrg]'")
    for e in (err, ConfigError("bad"), SimulationMemoryError("too wide")):  # errors travel to workers
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e)
        assert str(back) == str(e)


def test_bad_input_raises_qml_errors():
    with pytest.raises(ConfigError, match="unknown problem"):
        get_problem("nope")
    with pytest.raises(CircuitError, match="wire"):
        Circuit(2).add("RX", 5, 0.1)


def test_no_bare_value_error_is_raised_by_the_package():
    """Every ``raise ValueError/TypeError(...)`` is a QMLError subclass (bare re-raises aside)."""
    root = pathlib.Path(qml.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id in ("ValueError", "TypeError")
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, f"raise a qml.errors class instead of ValueError/TypeError at {offenders}"


def test_missing_extras_are_qml_errors(monkeypatch):
    from qml.parallel.tune import tune

    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'qml-circuits\[tune\]'") as err:
        tune("tfim", {"n": 4}, ["layers=1:2:int"], n_trials=1)
    assert err.value.extra == "tune"


def test_cli_prints_input_errors_as_one_line(capsys):
    assert cli.main(["vqe", "--problem", "tfim", "--n", "4", "--param", "J9=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qml: error: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_reports_anything_else_as_a_bug_with_its_traceback(monkeypatch, capsys):
    def broken(args):
        raise ValueError("an internal shape mismatch")

    monkeypatch.setitem(cli._COMMANDS, "vqe", broken)
    assert cli.main(["vqe", "--problem", "tfim", "--n", "4"]) == cli.INTERNAL_ERROR == 3
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "an internal shape mismatch" in err
    assert "this is a bug in qml-circuits, not in your input" in err

    def qml_error(args):
        raise ConfigError("layers must be >= 1, got 0")

    monkeypatch.setitem(cli._COMMANDS, "vqe", qml_error)
    assert cli.main(["vqe", "--problem", "tfim", "--n", "4"]) == 2
    assert capsys.readouterr().err == "qml: error: layers must be >= 1, got 0\n"
