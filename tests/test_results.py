"""Result records (qml/optimize/results.py): one schema for every command's ``--out``.

Every ``qml`` command that computes something writes a record that
:func:`qml.optimize.load_result` reads back in a fresh process (which has imported nothing
but ``qml.optimize.results``); data exports and files of older versions are refused with a
message that says what they are and what to do.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from qml.apps.cli import main
from qml.errors import ConfigError
from qml.optimize.results import VQEResult, load_result, record_from_dict

TFIM4 = ["--problem", "tfim", "--n", "4"]
FRESH = (
    "import sys\n"
    "from qml.optimize.results import load_result\n"
    "for path in sys.argv[1:]:\n"
    "    r = load_result(path)\n"
    "    inner = getattr(r, 'result', None)\n"
    "    print(r.kind, getattr(inner, 'kind', '-'))\n"
)


def test_every_command_out_is_a_record_that_a_fresh_process_loads(tmp_path, capsys):
    vqe_file = tmp_path / "tfim4.toml"
    vqe_file.write_text('[problem]\nname = "tfim"\nn = 4\n[ansatz]\nlayers = 1\n[optimizer]\nsteps = 20\n')
    predict_file = tmp_path / "predict4.toml"
    predict_file.write_text(
        'method = "predict"\n[problem]\nname = "tfim"\nn = 4\n'
        '[predict]\nmodel = "interp"\ntrain = 3\ntest = 2\nlayers = 1\n[check]\nmin_fidelity = 0.5\n'
    )
    preset = [*TFIM4, "--train", "3", "--test", "2", "--model", "interp", "--layers", "1"]
    family = [*TFIM4, "--vary", "h=0.5:1.5", "--train", "4", "--test", "2", "--no-baselines"]
    family += ["--layers", "1", "--refine", "0"]
    design = [*TFIM4, "--backend", "fake_manila", "--no-templates", "--no-compress", "--option", "max_ops=6"]
    tune = [*TFIM4, "--space", "layers=1:2:int", "--trials", "1", "--steps", "20"]
    commands = {  # file -> (command line, exit status, kind, kind of the record inside)
        "vqe.json": (["vqe", *TFIM4, "--layers", "1", "--steps", "20"], 0, "vqe -"),
        "excited.json": (["vqe", *TFIM4, "--states", "2", "--layers", "1", "--steps", "20"], 0, "excited -"),
        "run.json": (["run", str(vqe_file)], 0, "experiment vqe"),
        "run_predict.json": (["run", str(predict_file)], 0, "experiment predict"),
        "predict.json": (["predict", *preset], 0, "predict -"),
        "family.json": (["predict", *family], 0, "prediction -"),
        "design.json": (["design", *design], 0, "design -"),
        "tune.json": (["tune", *tune], 0, "tune -"),
    }
    files = []
    for name, (argv, status, _) in commands.items():
        files.append(tmp_path / name)
        assert main([*argv, "--out", str(files[-1])]) == status, name
    sweep, failed = tmp_path / "sweep", tmp_path / "sweep_failed"
    assert (
        main(
            ["sweep", *TFIM4, "--grid", "h=0.5:1.5:2", "--layers", "1", "--steps", "20", "--out", str(sweep)]
        )
        == 0
    )
    assert (
        main(["sweep", *TFIM4, "--ansatz", "nope", "--steps", "5", "--out", str(failed)]) == 1
    )  # a task fails
    tasks = sorted(sweep.glob("*.json"))
    failures = sorted(failed.glob("*.json"))
    assert len(tasks) == 2
    assert [p.name.endswith(".failed.json") for p in failures] == [True]
    capsys.readouterr()
    paths = [str(p) for p in (*files, *tasks, *failures)]
    fresh = subprocess.run([sys.executable, "-c", FRESH, *paths], capture_output=True, text=True, check=True)
    expected = [kind for _, _, kind in commands.values()] + ["vqe -"] * 2 + ["task-failure -"]
    assert fresh.stdout.splitlines() == expected
    # and in this process: the checks of a predict file travel with its outcome
    run = load_result(tmp_path / "run_predict.json")
    assert run.method == "predict"
    assert [c.name for c in run.checks] == ["min_fidelity"]
    assert run.result.settings["n"] == 4
    assert "ConfigError: unknown ansatz 'nope'" in load_result(failures[0]).error


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (
            {"format": "qml-predict", "settings": {}, "result": {}, "baseline": None},
            r"older version \(format 'qml-predict'.*rerun the qml predict \(or qml run\) command with --out",
        ),
        ({"evs": [[0.1, 0.2]], "stds": [[0.01, 0.01]]}, r"no 'kind' field.*qml jobs results --out"),
        ({"meta": {"workload": "w1"}, "rows": []}, r"no 'kind' field.*qml bench --out"),
        ({"format": "qml-circuit", "version": 1}, r"a circuit, not a result.*Circuit\.from_json"),
        ({"kind": "qaoa", "format_version": 1}, r"kind='qaoa'; valid kinds: .*predict.*task-failure"),
        ([1, 2], r"expected a JSON object, got list"),
    ],
)
def test_files_that_are_not_records_say_what_they_are_and_what_to_do(tmp_path, content, match):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ConfigError, match=match):
        load_result(path)


def test_old_predict_files_and_binary_exports_are_refused(tmp_path):
    from qml.predict import PredictionOutcome

    old = tmp_path / "old.json"
    old.write_text(json.dumps({"format": "qml-predict", "settings": {}, "result": {}, "baseline": None}))
    with pytest.raises(
        ConfigError, match="expected a 'predict' result: this is a qml predict result of an older"
    ):
        PredictionOutcome.load(old)
    npz = tmp_path / "evs.npz"
    np.savez(npz, evs=np.zeros((1, 2)))
    with pytest.raises(ConfigError, match=r"not valid JSON.*files that qml vqe, run, predict"):
        load_result(npz)
    with pytest.raises(ConfigError, match="no result file"):
        load_result(tmp_path / "missing.json")


def test_record_from_dict_reads_nested_records_of_lazy_kinds():
    from qml.experiment import ExperimentResult

    rec = ExperimentResult(name="x", result=VQEResult(energy=-1.0))
    assert record_from_dict(rec.to_dict()) == rec
    bad = {**rec.to_dict(), "result": {"kind": "nope"}}
    with pytest.raises(
        ConfigError, match="the 'result' of an experiment result is not a qml result: kind='nope'"
    ):
        record_from_dict(bad)
