"""qml.parallel.tune and ``qml tune``: search spaces, Optuna studies on executors, resuming, Ctrl-C."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

pytest.importorskip("optuna")

from qml.apps.tune import add_tune_command, tune_command
from qml.parallel import make_executor
from qml.parallel.tasks import run_task
from qml.parallel.tune import TuneResult, load_study_result, parse_space, tune

# The module itself (``qml.parallel.tune`` may also name the function once re-exported by the package).
tune_mod = importlib.import_module("qml.parallel.tune")

TFIM = {"n": 4, "h": 1.0}


def _fake_result(energy: float = -1.0, exact: float | None = -1.0) -> dict:
    rel = None if exact is None else abs(energy - exact) / abs(exact)
    return {
        "energy": energy,
        "exact_energy": exact,
        "rel_error": rel,
        "fidelity": 1.0,
        "layers": 1,
        "n_params": 2,
        "timings": {"total": 0.01},
    }


# --- parse_space ------------------------------------------------------------------------------


def test_parse_space_forms():
    space = parse_space(
        [
            "layers=1:6:int",
            "lr=1e-3:1:log",
            "steps=50:300:int",
            "optimizer=adam,lbfgs",
            "tol=1e-9:1e-5:log",
            "restarts=1,2",
        ]
    )
    assert space == {
        "layers": ("int", 1, 6),
        "lr": ("float", 0.001, 1.0, True),
        "steps": ("int", 50, 300),
        "optimizer": ("categorical", ["adam", "lbfgs"]),
        "tol": ("float", 1e-9, 1e-5, True),
        "restarts": ("categorical", [1, 2]),
    }
    assert parse_space(["lr=0.01:0.5"])["lr"] == ("float", 0.01, 0.5, False)
    assert parse_space(["lr=0.01:0.5:float"])["lr"] == ("float", 0.01, 0.5, False)
    assert parse_space(["layers=2,4,auto"])["layers"] == ("categorical", [2, 4, "auto"])
    assert parse_space(["ansatz=hva, hea"])["ansatz"] == ("categorical", ["hva", "hea"])
    assert parse_space("layers=1:2:int") == {"layers": ("int", 1, 2)}


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("layers", r"expected NAME=LO:HI:int .*e\.g\. layers=1:6:int"),
        ("=1:2:int", "expected NAME="),
        ("layers=", "expected NAME="),
        ("foo=1:2:int", "'foo': not a searchable name; valid: ansatz, layers, optimizer, steps, lr"),
        ("h=0:2", "not a searchable name.*--param"),
        ("seed=0:3:int", "not a searchable name.*--seed"),
        ("layers=1:6", r"layers takes integers, e\.g\. layers=1:6:int"),
        ("steps=0:100:int", "steps starts at 1"),
        ("layers=3:1:int", "LO <= HI"),
        ("lr=1:0.1", "LO <= HI"),
        ("lr=0:1:log", "log scale needs LO > 0"),
        ("lr=a:b", "are not numbers"),
        ("layers=1.5:3:int", "are not numbers"),
        ("lr=0.1:1:cube", "expected NAME=LO:HI:int"),
        ("lr=0.1:1:log:x", "expected NAME=LO:HI:int"),
        ("optimizer=1:3:int", r"optimizer takes a list of choices, e\.g\. optimizer=A,B"),
        ("optimizer=adam,adm", "unknown optimizer 'adm'; valid: adam"),
        ("ansatz=hva,,hea", "an empty choice"),
        ("ansatz=hva,hva", "repeated choices"),
    ],
)
def test_parse_space_errors(item, match):
    with pytest.raises(ValueError, match=match):
        parse_space([item])


def test_parse_space_rejects_a_name_given_twice():
    with pytest.raises(ValueError, match="layers is given twice"):
        parse_space(["layers=1:2:int", "layers=3,4"])


def test_missing_optuna_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'qml-circuits\[tune\]'"):
        tune("tfim", TFIM, ["layers=1:2:int"], n_trials=1)


def test_bad_arguments_are_refused_before_any_trial(tmp_path):
    with pytest.raises(ValueError, match="unknown problem 'nope'"):
        tune("nope", {}, ["layers=1:2:int"])
    with pytest.raises(ValueError, match="'J9' is not a parameter of 'tfim'"):
        tune("tfim", {"J9": 1}, ["layers=1:2:int"])
    with pytest.raises(ValueError, match="unknown objective 'fidelity'; valid: rel_error, energy"):
        tune("tfim", TFIM, ["layers=1:2:int"], objective="fidelity")
    with pytest.raises(ValueError, match="n_trials must be an integer >= 0"):
        tune("tfim", TFIM, ["layers=1:2:int"], n_trials=-1)
    with pytest.raises(ValueError, match="base setting 'seed'"):
        tune("tfim", TFIM, ["layers=1:2:int"], base={"seed": 3})
    with pytest.raises(ValueError, match="is a directory"):
        tune("tfim", TFIM, ["layers=1:2:int"], storage=tmp_path)
    with pytest.raises(ValueError, match="search space is empty"):
        tune("tfim", TFIM, {})


# --- studies ----------------------------------------------------------------------------------


def test_trial_specs_fields_settings_base_and_seed(monkeypatch):
    seen = []

    def fake(spec):
        seen.append(spec)
        return _fake_result(energy=-1.0 + spec["settings"]["lr"])

    monkeypatch.setattr(tune_mod, "run_task", fake)
    r = tune(
        "tfim",
        TFIM,
        ["layers=1:3:int", "lr=0.01:0.5:log", "optimizer=adam,sgd"],
        n_trials=4,
        seed=7,
        base={"steps": 33, "tol": 1e-7, "optimizer": "lbfgs"},
    )
    assert len(seen) == 4
    for spec, trial in zip(seen, r.trials):
        assert spec["problem"] == "tfim"
        assert spec["params"] == TFIM
        assert spec["seed"] == 7
        assert spec["steps"] == 33
        assert spec["layers"] == trial["params"]["layers"]
        assert spec["optimizer"] == trial["params"]["optimizer"]  # the space wins over the base
        assert spec["settings"] == {"tol": 1e-7, "lr": trial["params"]["lr"]}
    best = min(r.trials, key=lambda t: t["value"])
    assert r.best_params == best["params"]
    assert r.best_value == best["value"]
    assert r.best_spec["settings"]["lr"] == r.best_params["lr"]
    assert r.to_dict()["kind"] == "tune"
    json.dumps(r.to_dict())


def test_rel_error_without_exact_reference_fails_the_trial_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(tune_mod, "run_task", lambda spec: _fake_result(exact=None))
    r = tune("tfim", TFIM, ["lr=0.1:1"], n_trials=2)
    assert r.n_trials == 0
    assert r.n_failed == 2
    assert r.best_value is None
    assert "needs an exact reference energy" in r.trials[0]["error"]
    assert "use objective 'energy'" in r.trials[0]["error"]
    r = tune("tfim", TFIM, ["lr=0.1:1"], n_trials=2, objective="energy")
    assert r.n_trials == 2
    assert r.best_value == -1.0


def test_serial_study_finds_the_exact_depth_and_is_reproducible():
    ticks = []
    kw = {"n_trials": 5, "base": {"steps": 60}, "progress": ticks.append}
    r = tune("tfim", TFIM, parse_space(["layers=1:3:int"]), **kw)
    assert r.n_trials == 5
    assert r.n_failed == 0
    assert r.n_new == 5
    assert r.n_found == 0
    assert r.best_value < 1e-6  # the TFIM ring n=4 is exact from 2 layers
    assert r.best_params["layers"] >= 2
    layer1 = [t for t in r.trials if t["params"]["layers"] == 1]
    assert all(t["value"] > 1e-3 for t in layer1)
    assert r.executor == {"kind": "serial"}
    assert "optuna" in r.versions
    # A repeated spec reuses the value of the finished one (tasks are pure).
    assert any(t["cached"] for t in r.trials)
    assert ticks[0]["done"] == 0
    assert ticks[0]["trial"] is None
    assert ticks[-1]["done"] == 5
    assert ticks[-1]["complete"] == 5
    assert ticks[-1]["running"] == 0
    again = tune("tfim", TFIM, parse_space(["layers=1:3:int"]), **kw)
    assert [t["params"] for t in again.trials] == [t["params"] for t in r.trials]
    assert [t["value"] for t in again.trials] == [t["value"] for t in r.trials]


def test_resume_from_a_journal_file_runs_only_the_missing_trials(tmp_path):
    path = tmp_path / "study.log"
    space = ["layers=1:2:int", "lr=0.01:1:log"]
    kw = {"storage": path, "base": {"steps": 30}, "study_name": "s1"}
    first = tune("tfim", TFIM, space, n_trials=3, **kw)
    assert (first.n_new, first.n_found, first.n_trials) == (3, 0, 3)
    assert first.storage == str(path)
    second = tune("tfim", TFIM, space, n_trials=5, **kw)
    assert (second.n_new, second.n_found, second.n_trials) == (2, 3, 5)
    assert [t["number"] for t in second.trials] == [0, 1, 2, 3, 4]
    assert second.trials[:3] == first.trials
    # The resumed sampler does not replay the points it already tried.
    old = {t["params"]["lr"] for t in first.trials}
    assert not old & {t["params"]["lr"] for t in second.trials[3:]}
    assert tune("tfim", TFIM, space, n_trials=5, **kw).n_new == 0
    assert load_study_result(path, "s1").n_trials == 5
    with pytest.raises(ValueError, match=r"started with other settings \(params: stored"):
        tune("tfim", {"n": 4, "h": 0.5}, space, n_trials=6, **kw)
    with pytest.raises(ValueError, match=r"no study 'other' in .*it holds: s1"):
        load_study_result(path, "other")


def test_a_failing_trial_is_recorded_and_the_study_goes_on():
    r = tune("tfim", TFIM, ["ansatz=hva,nope", "layers=2:3:int"], n_trials=6, base={"steps": 40})
    failed = [t for t in r.trials if t["state"] == "FAIL"]
    assert failed
    assert r.n_failed == len(failed)
    assert all(t["params"]["ansatz"] == "nope" for t in failed)
    assert all("unknown ansatz 'nope'" in t["error"] for t in failed)
    assert r.n_trials + r.n_failed == 6
    assert any(t["state"] == "COMPLETE" for t in r.trials if t["number"] > failed[0]["number"])
    assert r.best_params["ansatz"] == "hva"
    assert r.best_value < 1e-6


def test_dask_local_cluster_runs_the_trials_on_its_workers(tmp_path):
    pytest.importorskip("distributed")
    path = tmp_path / "dask.log"
    with make_executor("local", workers=2) as ex:
        r = tune(
            "tfim",
            TFIM,
            ["layers=1:3:int", "lr=0.05:1:log"],
            n_trials=4,
            storage=path,
            executor=ex,
            base={"steps": 30},
        )
    assert r.n_trials == 4
    assert r.n_failed == 0
    assert r.n_new == 4
    assert r.executor["kind"] == "dask"
    assert r.executor["workers"] == 2
    stored = load_study_result(path)
    assert stored.n_trials == 4
    assert [t["value"] for t in stored.trials] == [t["value"] for t in r.trials]
    best = run_task(r.best_spec)  # the best trial reruns to the same number
    assert best["rel_error"] == r.best_value


# --- qml tune ---------------------------------------------------------------------------------


def _cli(*argv: str) -> int:
    parser = add_tune_command(argparse.ArgumentParser().add_subparsers())
    return tune_command(parser.parse_args(list(argv)))


def test_cli_writes_the_best_trial_as_json(tmp_path, capsys):
    out = tmp_path / "best.json"
    rc = _cli(
        "--problem",
        "tfim",
        "--n",
        "4",
        "--param",
        "h=1.0",
        "--space",
        "layers=1:3:int",
        "--trials",
        "3",
        "--steps",
        "40",
        "--out",
        str(out),
    )
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["kind"] == "tune"
    assert data["n_trials"] == 3
    # one result schema: load_result reads it back, in a fresh process too
    code = "from qml.optimize import load_result; "
    code += f"r = load_result({str(out)!r}); print(type(r).__name__, r.n_trials)"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert fresh.stdout.split() == ["TuneResult", "3"]
    assert set(data["best_params"]) == {"layers"}
    assert data["best_spec"]["steps"] == 40
    assert data["best_spec"]["params"] == TFIM
    cap = capsys.readouterr()
    assert "top 3 of 3 complete trials" in cap.out
    assert "best: trial" in cap.out
    assert "3 trials run now (0 failed), 0 found in memory" in cap.err
    with pytest.raises(ValueError, match="not a searchable name"):
        _cli("--problem", "tfim", "--space", "h=0:1")


def test_cli_ctrl_c_exits_130_and_the_rerun_continues(tmp_path, capsys, monkeypatch):
    storage = tmp_path / "study.log"
    argv = [
        "--problem",
        "tfim",
        "--n",
        "4",
        "--space",
        "layers=1:3:int",
        "--space",
        "lr=0.05:1:log",
        "--steps",
        "30",
        "--storage",
        str(storage),
    ]
    calls = {"n": 0}

    def interrupted_on_second(spec):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return run_task(spec)

    monkeypatch.setattr(tune_mod, "run_task", interrupted_on_second)
    assert _cli(*argv, "--trials", "4") == 130
    assert f"interrupted: 1 trials stored in {storage}; rerun to continue" in capsys.readouterr().err
    stored = load_study_result(storage)
    assert stored.n_trials == 1
    assert [t["state"] for t in stored.trials] == ["COMPLETE", "FAIL"]
    assert stored.trials[1]["error"] == "interrupted (KeyboardInterrupt)"
    monkeypatch.setattr(tune_mod, "run_task", run_task)
    assert _cli(*argv, "--trials", "3") == 0
    assert "2 trials run now (0 failed), 2 found in" in capsys.readouterr().err
    assert load_study_result(storage).n_trials == 3


def test_tune_result_top():
    trials = [
        {"number": 0, "value": 0.2, "state": "COMPLETE"},
        {"number": 1, "value": None, "state": "FAIL"},
        {"number": 2, "value": 0.1, "state": "COMPLETE"},
        {"number": 3, "value": 0.1, "state": "COMPLETE"},
    ]
    assert [t["number"] for t in TuneResult(trials=trials).top(2)] == [2, 3]
