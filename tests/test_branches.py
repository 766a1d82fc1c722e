"""Sector branches: per-point VQE with depth growth, interpolation, crossings, jackknife."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from qml.models.branches import GROWTH, BranchFit, SectorModel, fit_branch, path_order
from qml.models.conditional import HamiltonianFamily, InterpolationBaseline
from qml.models.sectors import exact_crossings, sector_values
from qml.optimize.depth import DepthSearch
from tests.dense import dense_xxz


def test_path_order_one_and_two_parameters():
    assert path_order(np.array([[2.0], [0.0], [1.0]])).tolist() == [1, 2, 0]
    grid = np.array([[x, y] for x in (0.0, 1.0, 2.0) for y in (0.0, 1.0)])
    visited = grid[path_order(grid)]
    steps = np.abs(np.diff(visited, axis=0)).sum(axis=1)
    assert np.all(steps == 1.0)  # a snake: every step moves to a neighbour


def test_depth_grows_until_training_points_converge():
    fam = HamiltonianFamily.from_problem("tfim", "h", n=6, periodic=False)
    fit = fit_branch(
        fam, [0.4, 1.0, 1.6], 1.0, search=DepthSearch(target_rel_error=1e-4, target_fidelity=0.995)
    )
    assert fit.stop == "target"
    assert fit.max_rel_error <= 1e-4
    assert min(fit.fidelities) >= 0.995
    layers = [h["layers"] for h in fit.history]
    assert layers[0] == 1
    assert layers == sorted(layers)
    assert all(b - a in (1, max(1, round(GROWTH * a))) for a, b in itertools.pairwise(layers))
    assert fit.history[-2]["max_rel_error"] > 1e-4 or fit.history[-2]["min_fidelity"] < 0.995


def test_fixed_depth_and_budget_stops():
    fam = HamiltonianFamily.from_problem("tfim", "h", n=4, periodic=False)
    assert fit_branch(fam, [0.5, 1.5], 1.0, layers=1).stop == "fixed"
    fit = fit_branch(fam, [0.5, 1.5], 1.0, search=DepthSearch(target_rel_error=1e-12, max_layers=2))
    assert fit.stop == "max_layers"
    assert fit.layers == 2
    with pytest.raises(ValueError, match="layers must be an integer"):
        fit_branch(fam, [0.5, 1.5], 1.0, layers=0)


def test_branch_references_are_sector_energies():
    """Each branch is scored against the lowest state of its own sector (dense projection here)."""
    n = 4
    fam = HamiltonianFamily.from_problem("heisenberg", "h", n=n)
    fit = fit_branch(fam, [0.0, 2.0], -1.0)
    sz = np.array([sum(0.5 - ((b >> (n - 1 - w)) & 1) for w in range(n)) for b in range(2**n)])
    idx = np.flatnonzero(sz == -1.0)
    for lam, x in zip(fit.lams, fit.exact):
        H = dense_xxz(n, 1.0, 1.0, True, h=lam[0])
        assert x == pytest.approx(np.linalg.eigvalsh(H[np.ix_(idx, idx)])[0], abs=1e-10)


def test_sector_model_crossings_match_exact_plateaus():
    """Heisenberg ring N=6 in a field: the predicted magnetisation steps sit on the exact level crossings."""
    fam = HamiltonianFamily.from_problem("heisenberg", "h", n=6)
    fits = [fit_branch(fam, [0.0, 1.0, 2.0, 3.0], v) for v in (-3.0, -2.0, -1.0, 0.0)]
    model = SectorModel(fam, fits)
    pred = model.crossings(0.0, 3.0)
    exact = exact_crossings(fam, 0.0, 3.0, sector_values(fam))
    assert len(pred) == len(exact) == 3
    for p, e in zip(pred, exact):
        assert p["lambda"] == pytest.approx(e["lambda"], abs=1e-5)
        assert p["to"] == f"Sz = {e['to']:g}"
    lams = [0.3, 1.2, 2.9]
    chosen = [model.labels[int(b)] for b in model.predict(lams).branch]
    for lam, label in zip(lams, chosen):
        ex = fam.exact(lam)
        assert label == ex.sector  # e.g. "Sz = -1"


def test_jackknife_members_leave_one_point_out():
    fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
    fit = fit_branch(fam, [0.4, 0.8, 1.2, 1.6], 1.0, layers=1)
    members = SectorModel(fam, [fit]).jackknife()
    assert len(members) == 4
    assert all(m.fits[0].n_points == 3 for m in members)
    short = SectorModel(fam, [fit_branch(fam, [0.4, 0.8, 1.2], 1.0, layers=1)])
    with pytest.raises(ValueError, match="at least 4 training points"):
        short.jackknife()
    with pytest.raises(ValueError, match="at least one branch"):
        SectorModel(fam, [])


def test_branch_fit_round_trip():
    fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
    fit = fit_branch(fam, [0.5, 1.5], 1.0, layers=1)
    again = BranchFit(**fit.to_dict())
    assert again.circuit_obj().n_weights == len(fit.weights[0])


def test_rbf_interpolation_in_two_parameters():
    fam = HamiltonianFamily.from_problem("xxz", ["delta", "h"], n=4)
    c = fam.ansatz(1)
    pts = [[x, y] for x in (0.0, 0.5, 1.0) for y in (0.0, 1.0)]
    W = torch.tensor([[x + y, x - y, 2 * x, y] for x, y in pts], dtype=torch.float64)[:, : c.n_weights]
    m = InterpolationBaseline(c, fam, pts, W, "rbf")
    assert torch.allclose(m.angles(pts), W, atol=1e-8)  # exact at the nodes
    assert m.angles([[0.25, 0.5]]).shape == (1, c.n_weights)
    with pytest.raises(ValueError, match="scalar lambda; use kind='rbf'"):
        InterpolationBaseline(c, fam, pts, W, "cubic")
    with pytest.raises(ValueError, match="at least 3 training points"):
        InterpolationBaseline(c, fam, pts[:2], W[:2], "rbf")
