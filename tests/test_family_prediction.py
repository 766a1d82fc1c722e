"""predict_family: the whole study on small families, its result schema, baselines and uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from qml.models.conditional import HamiltonianFamily
from qml.models.family_prediction import (
    CROSSING_EXCLUSION,
    ExactStateInterpolation,
    FamilyPredictionResult,
    family_grids,
    plot_family_prediction,
    predict_family,
)
from qml.optimize import load_result
from tests.dense import dense_xxz


@pytest.fixture(scope="module")
def field_run():
    """Heisenberg ring N=6 in a field over three magnetisation plateaus (and the saturated state)."""
    return predict_family("heisenberg", {"h": (0.0, 2.5)}, {"n": 6}, train=5, test=12, shots=300, seed=3)


def test_plateaus_predicted_against_dense_reference(field_run):
    r = field_run
    s = r.summary()
    assert s["min_fidelity"] > 0.999
    assert s["max_rel_error"] < 1e-4
    # independent reference: dense ED of the same Hamiltonian
    for lam, e in zip(r.test_lams, r.energy_exact):
        assert e == pytest.approx(np.linalg.eigvalsh(dense_xxz(6, 1.0, 1.0, True, h=lam[0]))[0], abs=1e-9)
    assert [c["to"] for c in r.crossings["predicted"]] == [c["to"] for c in r.crossings["exact"]]
    for p, e in zip(r.crossings["predicted"], r.crossings["exact"]):
        assert p["lambda"] == pytest.approx(e["lambda"], abs=1e-5)
    assert r.sectors["symmetry"] == "Sz"
    assert len(r.branches) == 4


def test_result_schema_round_trip(field_run, tmp_path):
    p = tmp_path / "r.json"
    field_run.save(p)
    back = load_result(p)
    assert isinstance(back, FamilyPredictionResult)
    for name in ("sector", "exact_interp", "shadow"):
        entry = back.models[name]
        assert {"mean_fidelity", "min_fidelity", "max_rel_error"} <= set(entry["summary"])
        assert len(entry["rel_error"]) == len(back.test_lams)
    assert back.models["shadow"]["summary"]["mean_fidelity"] is None  # properties, not states
    assert back.models["shadow"]["shots_total"] == 5 * 300
    assert back.versions["qml"]
    assert back.seed == 3
    with pytest.raises(ValueError, match="no model 'nope'"):
        back.summary("nope")


def test_uncertainty_flags_errors(field_run):
    u = field_run.uncertainty
    assert u["members"] == 5
    assert len(u["spread"]) == len(field_run.test_lams)
    # a shallow ansatz on the open TFIM makes real errors; the spread must rank them
    r = predict_family(
        "tfim",
        {"h": (0.2, 1.8)},
        {"n": 6, "periodic": False},
        train=5,
        test=12,
        layers=2,
        baselines=False,
        physics=False,
    )
    assert r.summary()["max_rel_error"] > 1e-4
    assert r.uncertainty["spearman"]["spread_vs_energy_error"] >= 0.5
    assert r.uncertainty["spearman"]["spread_vs_infidelity"] >= 0.5


def test_points_near_a_crossing_are_excluded_and_listed():
    """N=4 ring: crossings at h = 1 and 2 exactly; the test midpoint h = 1 is listed and left out."""
    r = predict_family(
        "heisenberg", {"h": (0.0, 2.0)}, {"n": 4}, train=4, test=3, baselines=False, physics=False
    )
    assert r.excluded == [[pytest.approx(1.0)]]
    assert r.summary()["n_points"] == 2.0
    assert [round(c["lambda"], 6) for c in r.crossings["exact"]] == [1.0, 2.0]
    r = predict_family(
        "heisenberg",
        {"h": (1.0 - CROSSING_EXCLUSION / 2, 1.0 + CROSSING_EXCLUSION / 2)},
        {"n": 4},
        train=4,
        test=1,
        baselines=False,
        physics=False,
    )
    assert len(r.excluded) == 1
    assert r.summary()["n_points"] == 1.0


def test_two_parameters_phase_diagram(tmp_path):
    r = predict_family("xxz", {"delta": (-2.0, 1.0), "h": (0.0, 2.0)}, {"n": 4}, train=3, test=9, shots=100)
    assert len(r.train_lams) == 9
    assert len(r.test_lams) == 9
    assert r.settings["interpolation"] == "rbf"
    assert r.summary()["mean_fidelity"] > 0.9
    paths = plot_family_prediction(r, tmp_path / "phase.png")
    assert all(p.stat().st_size > 0 for p in paths)
    assert len(paths) == 2


def test_exact_state_interpolation_is_exact_at_training_points():
    fam = HamiltonianFamily.from_problem("tfim", "h", n=4, periodic=False)
    m = ExactStateInterpolation(fam, [0.4, 1.0, 1.6])
    p = m.predict([0.4, 1.0, 1.6, 0.7])
    for lam, psi in zip([0.4, 1.0, 1.6], p.states[:3]):
        assert fam.exact(lam).fidelity(psi.numpy()) == pytest.approx(1.0, abs=1e-10)
    assert fam.exact(0.7).fidelity(p.states[3].numpy()) > 0.9


def test_plots_one_parameter(field_run, tmp_path):
    paths = plot_family_prediction(field_run, tmp_path / "f.png")
    assert [p.name for p in paths] == ["f.png", "f_physics.png"]


def test_grids_and_errors():
    tr, te = family_grids([(0.0, 2.0)], 5, 4)
    assert tr.ravel().tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert not set(te.ravel().tolist()) & set(tr.ravel().tolist())
    with pytest.raises(ValueError, match="vary one or two parameters"):
        predict_family("xxz", {}, {"n": 4})
    with pytest.raises(ValueError, match="hi > lo"):
        predict_family("xxz", {"delta": (1.0, 0.0)}, {"n": 4})
    with pytest.raises(ValueError, match="train must be an integer >= 4"):
        predict_family("xxz", {"delta": (0.0, 1.0)}, {"n": 4}, train=3)
    with pytest.raises(ValueError, match="not a parameter"):
        predict_family("xxz", {"nope": (0.0, 1.0)}, {"n": 4})


@pytest.mark.parametrize(
    ("problem", "vary", "fixed"),
    [
        ("tfim", {"h": (-1.5, -0.3)}, {"n": 5, "periodic": False}),
        ("xxz", {"delta": (-2.0, 0.5)}, {"n": 4}),
        ("heisenberg", {"J": (0.5, 1.5)}, {"n": 5}),
        ("j1j2", {"J2": (0.0, 0.6)}, {"n": 4}),
        ("xy", {"h": (0.0, 2.0)}, {"n": 4, "gamma": 0.5}),
        ("metavqe", {"delta": (-1.0, 1.0)}, {"n": 4, "lam": 0.75}),
        ("heisenberg", {"h": (0.0, 2.0)}, {"lattice": "square", "lx": 2, "ly": 2, "periodic": False}),
        ("xxz", {"delta": (0.0, 1.0)}, {"lattice": "ladder", "lx": 3}),
        ("tfim", {"h": (0.5, 1.5)}, {"lattice": "triangular", "lx": 2, "ly": 2, "periodic": False}),
    ],
)
def test_every_spin_problem_and_lattice_runs(problem, vary, fixed):
    r = predict_family(
        problem, vary, fixed, train=4, test=3, layers=2, refine=0, baselines=False, physics=False
    )
    assert len(r.models["sector"]["energy"]) == 3
    for e, e0 in zip(r.models["sector"]["energy"], r.energy_exact):
        assert e >= e0 - 1e-9  # variational, whatever the accuracy
    for w in r.warnings:  # a branch that falls short says so
        assert "unreliable" in w


def test_unconverged_branch_is_reported():
    r = predict_family(
        "xy",
        {"gamma": (0.2, 0.8)},
        {"n": 4, "h": 0.5},
        train=4,
        test=2,
        layers=1,
        refine=0,
        baselines=False,
        physics=False,
    )
    assert r.warnings
    assert "stopped at 1 layers (fixed)" in r.warnings[0]
