"""The hardware sub-commands (`qml submit`, `qml jobs ...`, `qml budget`) offline."""

from __future__ import annotations

import argparse
import io
import json

import numpy as np
import pytest
from fake_runtime import fake_service_env

from qml.apps.hardware import add_hardware_commands, load_experiment, main
from qml.backends.ledger import Ledger
from qml.ir import Circuit, W


@pytest.fixture
def fake_ibm(tmp_path, monkeypatch):
    """The fake IBM service (tests/fake_runtime.py) with a fake account in the environment."""
    yield from fake_service_env(tmp_path, monkeypatch)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qml")
    add_hardware_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def run(*argv: str) -> tuple[int, str]:
    args = parse(*argv)
    out = io.StringIO()
    code = args.func(args, out=out)
    return code, out.getvalue()


@pytest.fixture
def experiment(tmp_path):
    c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1)).add("RY", 1, W(1))
    (tmp_path / "bell.json").write_text(c.to_json())
    exp = tmp_path / "bell.toml"
    exp.write_text(
        'name = "bell"\ncircuit = "bell.json"\nobservables = ["Z0 Z1", "X1"]\nweights = [0.1, 0.2]\n'
        "shots = 500\ngradient = true\n[options]\nresilience_level = 0\nshots = 500\n"
    )
    return exp


def test_parsers_attach():
    assert parse("submit", "e.toml", "--backend", "ibm_manila", "--dry-run").func.__name__ == "cmd_submit"
    assert parse("jobs", "show", "12").job == "12"
    assert parse("budget", "--set-shots", "100").set_shots == 100
    with pytest.raises(SystemExit):
        parse("jobs", "explode")


def test_experiment_files(tmp_path, experiment):
    exp = load_experiment(experiment)
    assert exp.name == "bell"
    assert exp.circuit.n_weights == 2
    assert exp.options == {"resilience_level": 0, "shots": 500}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"circuit": "bell.json", "observables": "Z0", "colour": "red"}))
    with pytest.raises(ValueError, match="unknown key 'colour' at the top level of a 'submit' experiment"):
        load_experiment(bad)
    bad.write_text(json.dumps({"observables": "Z0"}))
    with pytest.raises(ValueError, match="needs a 'circuit' entry"):
        load_experiment(bad)
    bad.write_text(json.dumps({"circuit": "missing.json", "observables": "Z0"}))
    with pytest.raises(ValueError, match="does not exist"):
        load_experiment(bad)


def test_dry_run_offline_uses_the_fake_of_the_same_name(experiment, tmp_path, monkeypatch):
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE"):
        monkeypatch.delenv(var, raising=False)
    import qiskit_ibm_runtime.accounts.management as mgmt

    monkeypatch.setattr(mgmt, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "no-account.json"))
    code, out = run(
        "submit",
        str(experiment),
        "--backend",
        "ibm_manila",
        "--dry-run",
        "--offline",
        "--ledger",
        str(tmp_path / "l.sqlite"),
    )
    assert code == 0
    assert "transpiled for fake_manila" in out
    assert "two-qubit gates" in out
    assert "depth" in out
    assert "1 parameter rows" not in out
    assert "5 parameter rows x 2 bases x 500 shots" in out
    assert "$" in out
    code, out = run("submit", str(experiment), "--backend", "ibm_manila", "--dry-run", "--json")
    report = json.loads(out)
    assert report["transpiled_for"] == "fake_manila"
    assert report["total_shots"] == 5 * 2 * 500
    assert report["two_qubit_gates"] >= 1
    assert report["qpu_seconds"] > 0
    assert not (tmp_path / "l.sqlite").exists()  # a dry run records nothing


def test_submit_and_manage_jobs(fake_ibm, experiment, tmp_path):
    led = str(tmp_path / "l.sqlite")
    code, out = run("budget", "--set-shots", "5000", "--ledger", led)
    assert code == 0
    assert "of 5000" in out
    code, out = run(
        "submit", str(experiment), "--backend", "ibm_manila", "--ledger", led, "--run-id", "cli", "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert len(report["job_ids"]) == 1
    assert np.array(report["expectations"]).shape == (1, 2)
    job_id = report["job_ids"][0]
    code, out = run("jobs", "list", "--ledger", led)
    assert job_id in out
    assert "DONE" in out
    code, out = run("jobs", "show", job_id, "--ledger", led)
    assert "OPENQASM 3" in out
    assert "qml-run-cli" in out
    npz = tmp_path / "res.npz"
    code, out = run("jobs", "results", "1", "--ledger", led, "--out", str(npz))
    assert code == 0
    assert np.load(npz)["evs"].shape == (1, 2)
    code, out = run("budget", "--ledger", led, "--json")
    (b,) = json.loads(out)
    assert b["used_shots"] == 1000
    assert b["remaining_shots"] == 4000
    # resubmitting the same run id reuses the job; shot estimates print with their standard errors
    code, out = run("submit", str(experiment), "--backend", "ibm_manila", "--ledger", led, "--run-id", "cli")
    assert fake_ibm.submissions == 1
    assert out.count("+-") == 2
    # a job left queued: wait for it later, or cancel it
    fake_ibm.next_jobs("queued", "queued")
    for rid in ("q1", "q2"):
        assert (
            main(
                [
                    "submit",
                    str(experiment),
                    "--backend",
                    "ibm_manila",
                    "--ledger",
                    led,
                    "--run-id",
                    rid,
                    "--timeout",
                    "0",
                ]
            )
            == 1
        )
    ids = [r.job_id for r in Ledger(led).jobs(status="QUEUED")]
    assert len(ids) == 2
    job = fake_ibm.job(ids[0])
    job["fate"] = "done"
    fake_ibm._save(job)
    code, out = run("jobs", "wait", ids[0], "--ledger", led)
    assert code == 0
    assert "DONE" in out
    code, out = run("jobs", "cancel", ids[1], "--ledger", led)
    assert code == 0
    assert "CANCELLED" in out
    assert fake_ibm.job(ids[1])["state"]["status"] == "Cancelled"
    code, out = run("jobs", "wait", ids[1], "--ledger", led)
    assert code == 1
    assert "already CANCELLED" in out


def test_budget_refusal_and_errors_exit_codes(fake_ibm, experiment, tmp_path, capsys):
    led = str(tmp_path / "l.sqlite")
    assert main(["budget", "--set-shots", "100", "--ledger", led]) == 0
    assert main(["submit", str(experiment), "--backend", "ibm_manila", "--ledger", led]) == 2
    assert "refuses this job" in capsys.readouterr().err
    assert fake_ibm.submissions == 0
    assert main(["jobs", "show", "nope-nope-nope", "--ledger", led]) == 2
    assert main(["budget", "--set-shots", "-1", "--ledger", led]) == 0
    assert Ledger(led).budget().max_shots is None


def test_vqe_experiment_files_of_qml_run(tmp_path):
    exp = tmp_path / "tfim4.toml"
    exp.write_text(
        'name = "tfim4"\n[problem]\nname = "tfim"\nn = 4\nh = 1.0\n[ansatz]\nname = "hva"\nlayers = 2\n'
    )
    loaded = load_experiment(exp)
    assert loaded.circuit.n_wires == 4
    assert loaded.gradient
    assert len(loaded.weights) == loaded.circuit.n_weights
    code, out = run("submit", str(exp), "--backend", "fake_manila", "--dry-run", "--json")
    assert code == 0
    report = json.loads(out)
    from qml.sim.shift import shift_plan

    # one gradient step: the forward row + 2 shifted rows per gate angle (HVA weights are shared by
    # several gates, and shift rules act on gate angles)
    assert report["rows"] == 1 + len(shift_plan(loaded.circuit).entries) == 1 + 2 * 16
    assert report["bases"] == 2  # TFIM: the ZZ terms and the X terms


def test_attached_to_the_qml_command(experiment, capsys, monkeypatch, tmp_path):
    from qml.apps.cli import main as qml_main

    monkeypatch.setenv("QML_LEDGER", str(tmp_path / "l.sqlite"))
    assert qml_main(["submit", str(experiment), "--backend", "fake_manila", "--dry-run"]) == 0
    assert "two-qubit gates" in capsys.readouterr().out
    assert qml_main(["jobs", "show", "123"]) == 2
    assert "no ledger at" in capsys.readouterr().err  # a dry run records nothing


def test_budgets_shots_and_weights_that_would_spend_wrongly_are_refused(experiment, tmp_path, capsys):
    led = str(tmp_path / "l.sqlite")
    for bad in ("nan", "inf"):
        assert main(["budget", "--set-seconds", bad, "--ledger", led]) == 2
        assert "must be a finite number" in capsys.readouterr().err
    assert Ledger(led).budget().max_seconds is None  # nothing stored
    for shots in ("-100", "0"):
        args = ["submit", str(experiment), "--backend", "fake_manila", "--dry-run", "--shots", shots]
        assert main(args) == 2
        assert "--shots must be a positive integer" in capsys.readouterr().err
    text = experiment.read_text()
    experiment.write_text(text.replace("[options]\n", "[options]\nseconds_per_shot = -0.5\n"))
    assert main(["submit", str(experiment), "--backend", "fake_manila", "--dry-run"]) == 2
    assert "seconds_per_shot must be a finite number" in capsys.readouterr().err
    experiment.write_text(text.replace("weights = [0.1, 0.2]", "weights = [0.1, nan]"))
    assert main(["submit", str(experiment), "--backend", "fake_manila", "--dry-run"]) == 2
    assert "weights must be finite numbers; entry 1 is nan" in capsys.readouterr().err


def test_a_circuit_wider_than_the_device_is_one_line(tmp_path, capsys):
    exp = tmp_path / "wide.toml"
    exp.write_text('[problem]\nname = "tfim"\nn = 8\n')
    assert main(["submit", str(exp), "--backend", "fake_manila", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "8-qubit circuit does not fit fake_manila (5 qubits)" in err
    assert len(err.strip().splitlines()) == 1


def test_reading_commands_never_create_a_ledger(tmp_path, capsys):
    led = tmp_path / "home" / "ledger.sqlite"
    assert main(["jobs", "list", "--ledger", str(led)]) == 0
    assert "nothing was submitted" in capsys.readouterr().out
    assert main(["budget", "--ledger", str(led)]) == 0
    assert main(["jobs", "show", "12", "--ledger", str(led)]) == 2
    assert "no ledger at" in capsys.readouterr().err
    assert not led.exists()
    assert not led.parent.exists()


def test_submit_weights_from_a_qml_run_result(tmp_path, capsys):
    import subprocess
    import sys

    from qml.apps.cli import main as qml_main

    exp = tmp_path / "tfim4.toml"
    exp.write_text('name = "tfim4"\n[problem]\nname = "tfim"\nn = 4\n[ansatz]\nlayers = 2\n')
    out = tmp_path / "run.json"
    assert qml_main(["run", str(exp), "--out", str(out)]) == 0
    capsys.readouterr()
    loaded = load_experiment(exp, out)
    inner = json.loads(out.read_text())["result"]
    assert loaded.weights == inner["best_weights"]
    # and a fresh process reads the `qml run --out` file without importing qml.experiment first
    code = f"from qml.optimize import load_result; print(type(load_result({str(out)!r})).__name__)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "ExperimentResult"
