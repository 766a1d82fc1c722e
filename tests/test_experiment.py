"""Experiment files: every circuits/*.toml runs in quick mode and meets its declared accuracy."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from qml.experiment import (
    ExperimentResult,
    experiment_files,
    load_experiment,
    parse_experiment,
    plot_result,
    run_experiment,
)
from qml.optimize import load_result

CIRCUITS = Path(__file__).resolve().parent.parent / "circuits"
FILES = experiment_files(CIRCUITS)


def test_required_files_exist():
    names = {f.name for f in FILES}
    assert {"tfim8_hva.toml", "heisenberg8.toml", "h2_dissociation.toml", "h2_adapt.toml"} <= names


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_experiment_file_meets_declared_accuracy(path):
    if tomllib.loads(path.read_text()).get("method") == "predict":
        from qml.predict import run_predict_file

        _, checks = run_predict_file(path, quick=True)
        assert checks, f"{path.name} declares no accuracy ([check] table)"
        assert all(c.passed for c in checks), f"{path.name}: {checks}"
        return
    exp = load_experiment(path, quick=True)
    assert exp.check, f"{path.name} declares no accuracy ([check] table)"
    out = run_experiment(exp)
    report = "; ".join(c.describe() for c in out.checks)
    print(f"{path.name} (quick): {report}")
    assert out.passed, f"{path.name}: {report}"


def test_quick_overrides_apply():
    full = load_experiment(CIRCUITS / "h2_dissociation.toml")
    quick = load_experiment(CIRCUITS / "h2_dissociation.toml", quick=True)
    assert len(full.sweep_values()) == 21
    assert len(quick.sweep_values()) == 6
    assert quick.sweep_values()[0] == pytest.approx(0.5)
    assert quick.sweep_values()[-1] == pytest.approx(2.5)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "exp.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            '[problem]\nname = "h2"\n[optimiser]\nname = "adam"\n',
            "unknown key 'optimiser' at the top level of a 'vqe' experiment; valid keys: name, description",
        ),
        (
            '[problem]\nname = "h2"\n[optimizer]\nname = "adam"\nstep = 3\n',
            r"unknown key 'step' in \[optimizer\]; valid keys: name, steps, lr, tol, restarts, options, "
            "shots",
        ),
        (
            '[problem]\nname = "ising"\n',
            "unknown problem 'ising' in \\[problem\\]; valid problems: tfim, xxz",
        ),
        (
            '[problem]\nname = "h2"\nn = 4\n',
            r"unknown key 'n' in \[problem\] \(for 'h2'\); valid keys: name, bond_length",
        ),
        (
            'method = "qaoa"\n[problem]\nname = "h2"\n',
            "unknown method 'qaoa'; valid methods: vqe, sweep, adapt, predict, submit",
        ),
        (
            'method = "predict"\n[problem]\nname = "tfim"\n',
            r"method 'predict' files are read by qml\.predict, not as a VQE experiment",
        ),
        ('backend = "qiskit"\n[problem]\nname = "h2"\n', "unknown backend 'qiskit'; valid backends: torch"),
        (
            '[problem]\nname = "h2"\n[optimizer]\nname = "newton"\n',
            "unknown optimizer 'newton' in \\[optimizer\\]",
        ),
        ('method = "sweep"\n[problem]\nname = "h2"\n', r"method 'sweep' needs \[sweep\] param"),
        (
            'method = "sweep"\n[problem]\nname = "h2"\n[sweep]\nparam = "r"\nvalues = [1.0]\n',
            "is not a parameter of 'h2'; valid: bond_length",
        ),
        (
            '[problem]\nname = "h2"\n[check]\nmax_error = 1.0\n',
            r"unknown key 'max_error' in \[check\]; valid keys: max_rel_error, max_abs_error, min_fidelity",
        ),
        (
            'method = "adapt"\n[problem]\nname = "h2"\n[adapt]\npool = "huge"\n',
            "unknown pool 'huge' in \\[adapt\\]; valid pools: auto",
        ),
        ('[problem\nname = "h2"\n', "invalid TOML"),
        ('name = "x"\n', "missing \\[problem\\] table with a name; valid problem names: tfim"),
        ('[problem]\nname = "h2"\n[quick]\nname = "fast"\n', r"unknown key 'name' in \[quick\]"),
        (
            '[problem]\nname = "h2"\n[sweep]\nparam = "bond_length"\n',
            r"unknown key 'sweep' at the top level of a 'vqe' experiment \(\[sweep\] belongs to method 'sw",
        ),
        ('[problem]\nname = "h2"\n[quick]\nmethod = "sweep"\n', r"unknown key 'method' in \[quick\]"),
        ('[problem]\nname = "h2"\n[quick.ansatz]\ndepth = 2\n', r"unknown key 'depth' in \[quick.ansatz\]"),
        ('circuit = "c.qasm"\nobservables = "Z0"\n', r"files are read by qml.apps.hardware.*qml submit FILE"),
    ],
)
def test_bad_files_name_key_and_valid_choices(tmp_path, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(ValueError, match=match) as info:
        load_experiment(p)
    assert str(p) in str(info.value)


def test_missing_and_non_toml_files(tmp_path):
    with pytest.raises(ValueError, match="no experiment file"):
        load_experiment(tmp_path / "nope.toml")
    other = tmp_path / "exp.json"
    other.write_text("{}")
    with pytest.raises(ValueError, match=r"expected a \.toml file"):
        load_experiment(other)


def test_bad_problem_parameter_value_is_reported():
    exp = parse_experiment({"problem": {"name": "tfim", "n": 1}})
    with pytest.raises(ValueError, match=r"n must be an integer in 2\.\.1024"):
        run_experiment(exp)


def test_failing_check_and_round_trip(tmp_path):
    exp = parse_experiment(
        {
            "problem": {"name": "tfim", "n": 4, "h": 1.0},
            "ansatz": {"layers": 1},
            "optimizer": {"steps": 20},
            "check": {"max_rel_error": 1e-12, "min_fidelity": 0.5},
        },
        name="too_shallow",
    )
    out = run_experiment(exp)
    assert not out.passed
    assert [c.name for c in out.checks] == ["max_rel_error", "min_fidelity"]
    assert not out.checks[0].passed
    path = tmp_path / "exp.json"
    out.save(path)
    back = load_result(path)
    assert isinstance(back, ExperimentResult)
    assert back == out
    png = plot_result(back, tmp_path / "conv.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_sweep_and_adapt(tmp_path):
    sweep = run_experiment(load_experiment(CIRCUITS / "h2_dissociation.toml", quick=True))
    adapt = run_experiment(load_experiment(CIRCUITS / "h2_adapt.toml", quick=True))
    for name, rec in (("sweep.png", sweep.result), ("adapt.png", adapt.result)):
        path = plot_result(rec, tmp_path / name)
        assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="cannot plot"):
        plot_result(ExperimentResult(name="empty"), tmp_path / "x.png")


def test_execution_table_runs_sweep_segments_on_workers():
    pytest.importorskip("distributed")
    from qml.experiment import parse_experiment, run_experiment

    table = {
        "method": "sweep",
        "problem": {"name": "tfim", "n": 4},
        "ansatz": {"layers": 2},
        "optimizer": {"steps": 60},
        "sweep": {"param": "h", "values": [0.5, 1.0, 1.5, 2.0]},
        "execution": {"workers": 2},
        "check": {"max_rel_error": 1e-6},
    }
    out = run_experiment(parse_experiment(table, name="par"))
    assert out.passed
    assert out.settings["execution"] == {"workers": 2}
    assert [r.extra["segment"] for r in out.result.results] == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("execution", "match"),
    [
        ({"workers": 0}, "workers must be an integer >= 1"),
        ({"cluster": "lsf"}, "cluster must be 'slurm' or 'pbs'"),
        ({"nodes": 3}, "unknown key 'nodes'"),
    ],
)
def test_execution_table_errors(execution, match):
    from qml.experiment import parse_experiment

    with pytest.raises(ValueError, match=match):
        parse_experiment({"problem": {"name": "tfim", "n": 4}, "execution": execution}, name="bad")
