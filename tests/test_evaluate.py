"""Held-out evaluation (fidelity, energy error, observables, JSON, plot) and the `qml predict` pipeline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from qml.apps.predict import add_predict_arguments, add_predict_command, predict_command
from qml.models.conditional import HamiltonianFamily, InterpolationBaseline, MLPConditional, per_point_vqe
from qml.models.evaluate import EvaluationResult, default_observables, evaluate, plot_evaluation
from qml.optimize.results import load_result
from qml.predict import (
    PRESETS,
    grids,
    load_predict_file,
    run_predict_file,
    run_prediction,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def interp4() -> tuple[InterpolationBaseline, list[float]]:
    fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
    train = [0.0, 0.5, 1.0, 1.5, 2.0]
    res = per_point_vqe(fam, fam.ansatz(2), train, steps=100)
    return InterpolationBaseline(fam.ansatz(2), fam, res.lams, res.weights), train


def test_evaluate_against_exact_references(interp4):
    model, train = interp4
    test = [0.25, 1.0, 1.75]
    res = evaluate(model, test, train_lams=train, label="interp", seed=3)
    assert res.lams == test
    assert res.train_lams == train
    assert res.param_names == ["h"]
    assert len(res.fidelity) == len(res.rel_error) == len(res.gap) == 3
    assert res.sector == "Px = 1"
    assert res.fidelity[1] == pytest.approx(1.0, abs=1e-8)  # a training value: exact
    assert res.rel_error[1] < 1e-8
    fam = model.family
    for i, h in enumerate(test):
        assert res.energy_exact[i] == pytest.approx(fam.exact(h).energy, abs=1e-12)
    obs = res.observables
    assert set(obs) == {"magnetization_x", "magnetization_z", "correlation_zz"}
    assert obs["magnetization_z"]["exact"] == pytest.approx([0.0] * 3, abs=1e-12)  # parity sector
    assert obs["magnetization_x"]["pred"][1] == pytest.approx(obs["magnetization_x"]["exact"][1], abs=1e-6)
    s = res.summary
    assert s["min_fidelity"] <= s["mean_fidelity"] <= 1.0 + 1e-12
    assert s["n_points"] == 3.0
    assert res.seed == 3
    assert "torch" in res.versions
    assert res.model["kind"] == "interp"


def test_summary_mask_and_errors(interp4):
    res = evaluate(interp4[0], [0.25, 1.0, 1.75])
    masked = res.summarize([False, True, False])
    assert masked["n_points"] == 1.0
    assert masked["max_rel_error"] == res.rel_error[1]
    with pytest.raises(ValueError, match="excludes every test point"):
        res.summarize([False] * 3)
    with pytest.raises(ValueError, match="one entry per test point"):
        res.summarize([True])


def test_json_round_trip_and_plot(tmp_path, interp4):
    res = evaluate(interp4[0], [0.25, 1.75], train_lams=interp4[1], label="interp")
    path = res.save(tmp_path / "sub" / "r.json")
    assert json.loads(path.read_text())["format"] == "qml-conditional-evaluation"
    assert EvaluationResult.load(path) == res
    with pytest.raises(ValueError, match="not a conditional-model evaluation"):
        EvaluationResult.from_dict({"format": "other"})
    with pytest.raises(ValueError, match="no evaluation result"):
        EvaluationResult.load(tmp_path / "missing.json")
    png = plot_evaluation([res, res], tmp_path / "p.png", title="two")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.plot(tmp_path / "q.png").exists()
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_evaluation([], tmp_path / "x.png")


def test_default_observables_limits():
    obs = default_observables(6)
    fam = HamiltonianFamily.from_problem("tfim", "h", n=6)
    model = MLPConditional(fam.ansatz(3), fam, hidden=(4,), lam_range=(0.0, 2.0))
    res = evaluate(model, [0.0, 2.0], observables={"mx": obs["magnetization_x"], "c": obs["correlation_zz"]})
    assert res.observables["c"]["exact"][0] == pytest.approx(1.0, abs=1e-10)  # GHZ at h = 0
    assert res.observables["mx"]["exact"][1] > 0.9  # polarised along X at large h
    assert len(default_observables(5, periodic=False)["correlation_zz"]) == 3


def test_grids_hold_out_test_values():
    tr, te, de = grids((0.0, 2.0), 6, 40, 31)
    assert tr[0] == 0.0
    assert tr[-1] == 2.0
    assert len(te) == 40
    assert np.min(np.abs(te[:, None] - tr[None, :])) > 1e-3
    assert np.min(np.abs(te[:, None] - de[None, :])) > 1e-3
    _, te2, de2 = grids((0.0, 1.0), 2, 2, 5)
    assert 0.25 not in de2.tolist()
    assert len(de2) == 3
    assert te2.tolist() == [0.25, 0.75]


def test_run_prediction_small_and_compare(tmp_path):
    out = run_prediction(
        "tfim", n=4, train=4, test=5, model="mlp", seed=0, dense=9, steps=20, layers=2, compare=True
    )
    assert out.result.label == "mlp"
    assert out.baseline.label == "interp"
    assert out.result.summary["mean_fidelity"] > 0.99
    assert out.settings["dense"] == 8
    assert out.timings["total"] > 0
    saved = json.loads(out.save(tmp_path / "o.json").read_text())
    assert saved["kind"] == "predict"
    assert saved["baseline"]["label"] == "interp"
    assert load_result(tmp_path / "o.json") == out
    assert out.plot(tmp_path / "o.png").exists()
    meta = run_prediction("tfim", n=4, train=4, test=3, model="meta", seed=0, dense=9, steps=5, layers=2)
    assert meta.result.model["kind"] == "meta"
    with pytest.raises(ValueError, match="unknown problem 'ising'"):
        run_prediction("ising")
    with pytest.raises(ValueError, match="unknown model 'gp'"):
        run_prediction("tfim", model="gp")
    with pytest.raises(ValueError, match="train must be an integer >= 3"):
        run_prediction("tfim", n=4, train=2, model="interp")
    assert set(PRESETS) == {"tfim", "metavqe"}


def test_experiment_file_is_valid_and_quick_overrides():
    path = ROOT / "circuits" / "predict_tfim12.toml"
    full = load_predict_file(path)
    assert full["problem"] == {"name": "tfim", "n": 12}
    assert full["predict"]["train"] == 6
    assert full["check"]["beats_baseline"] is True
    quick = load_predict_file(path, quick=True)
    assert quick["problem"]["n"] == 8
    assert quick["predict"]["steps"] == 60
    assert quick["predict"]["train"] == 6


def test_experiment_file_errors(tmp_path):
    bad = tmp_path / "b.toml"
    bad.write_text('method = "predict"\n[problem]\nname = "tfim"\n[predict]\nepochs = 3\n')
    with pytest.raises(ValueError, match="unknown key 'epochs' in \\[predict\\]"):
        load_predict_file(bad)
    bad.write_text('method = "vqe"\n[problem]\nname = "tfim"\n')
    with pytest.raises(ValueError, match="not a predict experiment"):
        load_predict_file(bad)
    bad.write_text('method = "predict"\n[problem]\nname = "h2"\n')
    with pytest.raises(ValueError, match="name must be one of tfim, metavqe"):
        load_predict_file(bad)
    with pytest.raises(ValueError, match="no experiment file"):
        load_predict_file(tmp_path / "none.toml")


def test_run_predict_file_checks(tmp_path):
    f = tmp_path / "tiny.toml"
    f.write_text(
        'method = "predict"\nseed = 0\n[problem]\nname = "tfim"\nn = 4\n'
        '[predict]\nmodel = "mlp"\ntrain = 4\ntest = 4\ndense = 9\nsteps = 10\nlayers = 2\n'
        "[check]\nmin_fidelity = 0.9\nmax_rel_error = 1e-12\nbeats_baseline = false\n"
    )
    _out, checks = run_predict_file(f)
    by = {c.name: c for c in checks}
    assert set(by) == {"min_fidelity", "max_rel_error"}
    assert by["min_fidelity"].passed
    assert not by["max_rel_error"].passed
    assert "FAILED" in by["max_rel_error"].describe()


def test_predict_command_writes_outputs(tmp_path, capsys):
    parser = add_predict_arguments(argparse.ArgumentParser())
    args = parser.parse_args(
        [
            "--problem",
            "tfim",
            "--n",
            "4",
            "--train",
            "4",
            "--test",
            "3",
            "--model",
            "interp",
            "--layers",
            "2",
            "--out",
            str(tmp_path / "r.json"),
            "--plot",
            str(tmp_path / "r.png"),
        ]
    )
    assert predict_command(args) == 0
    assert (tmp_path / "r.json").exists()
    assert (tmp_path / "r.png").exists()
    assert "mean_fidelity" in capsys.readouterr().out
    sub = argparse.ArgumentParser().add_subparsers(dest="command")
    p = add_predict_command(sub)
    assert p.get_default("func") is predict_command
    assert torch.get_default_dtype() == torch.float32  # nothing changed the global default


def test_evaluate_readout_observables(interp4):
    model, _ = interp4
    res = evaluate(model, [0.5, 1.0], readout=True)
    obs = res.observables
    assert {"s2", "staggered_m2", "sq_pi", "entropy_half", "renyi2_half"} <= set(obs)
    assert "entropy_profile" not in obs  # lists are not summarised per point
    assert obs["entropy_half"]["pred"][1] == pytest.approx(obs["entropy_half"]["exact"][1], abs=1e-6)
    assert res.summary["max_abs_error_entropy_half"] is not None
