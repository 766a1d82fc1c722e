"""layers="auto": layer-by-layer growth with warm starts, against exact references."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import pytest
import torch

from qml.ir import Circuit, W
from qml.optimize import vqe, vqe_sweep
from qml.optimize.depth import DepthSearch, interpolate_layers, is_prefix
from qml.paulis import pauli
from qml.problems import get_problem
from qml.templates import hardware_efficient


def test_small_open_chain_reaches_the_target_and_records_every_depth():
    res = vqe(get_problem("tfim", n=6, h=0.8, periodic=False), layers="auto")
    hist = res.extra["depth_history"]
    assert res.extra["depth_stop"] == "target"
    assert res.rel_error <= 1e-3
    assert res.fidelity >= 0.99
    assert [h["layers"] for h in hist] == list(range(1, res.layers + 1))
    assert [h["warm_start"] for h in hist] == [False] + [True] * (len(hist) - 1)
    assert hist[0]["kept"] == "cold"
    assert {h["kept"] for h in hist} <= {"warm", "cold"}
    assert all(
        a["energy"] >= b["energy"] - 1e-9 for a, b in itertools.pairwise(hist)
    )  # warm starts never lose
    assert res.extra["depth_search"]["target_rel_error"] == 1e-3


def test_budgets_stop_the_growth_and_say_so():
    p = get_problem("tfim", n=8, h=0.9, periodic=False)
    res = vqe(p, layers="auto", depth=DepthSearch(target_rel_error=1e-12, max_layers=2))
    assert res.extra["depth_stop"] == "max_layers"
    assert not res.converged
    assert "depth search stopped (max_layers) at 2 layers" in res.message
    res = vqe(p, layers="auto", depth=DepthSearch(target_rel_error=1e-12, time_budget=1e-3))
    assert res.extra["depth_stop"] == "time_budget"
    assert len(res.extra["depth_history"]) == 1


def test_growth_in_steps_on_the_mps_method_beyond_exact_diagonalisation():
    from qml.sim.simulator import Simulator

    p = get_problem("tfim", n=24, h=1.5, periodic=False)
    search = DepthSearch(target_rel_error=1e-4, start=1, step=2, max_layers=5, cold_start=False)
    res = vqe(p, layers="auto", depth=search, steps=100, simulator=Simulator(method="mps", bond_dim=8))
    hist = res.extra["depth_history"]
    assert [h["layers"] for h in hist] == [1, 3, 5][: len(hist)]
    assert res.extra["exact_method"] == "free-fermion"  # an energy reference: targets, not plateaus
    assert res.extra["depth_stop"] in ("target", "max_layers")
    assert hist[-1]["rel_error"] < hist[0]["rel_error"]


def test_interpolation_keeps_the_schedule_ends_and_is_linear_between():
    w = torch.tensor([0.1, 0.7, 0.3, 0.6, 0.5, 0.2])  # 3 layers x 2 angles
    up = interpolate_layers(w, 3, 5).reshape(5, 2)
    assert torch.allclose(up[0], torch.tensor([0.1, 0.7], dtype=torch.float64))
    assert torch.allclose(up[-1], torch.tensor([0.5, 0.2], dtype=torch.float64))
    assert torch.allclose(up[1], torch.tensor([0.2, 0.65], dtype=torch.float64))  # halfway between 0 and 1
    assert torch.allclose(interpolate_layers(w, 3, 3), w.double())
    assert torch.allclose(interpolate_layers(up.reshape(-1), 5, 3), w.double())  # down and back
    assert interpolate_layers([0.4, 0.9], 1, 3).tolist() == [0.4, 0.9] * 3
    with pytest.raises(ValueError, match="cannot read 5 weights as 2 layers of equal size"):
        interpolate_layers(torch.zeros(5), 2, 3)


def test_growth_interpolates_the_hva_and_appends_elsewhere():
    p = get_problem("tfim", n=6, h=1.0, periodic=False)
    search = DepthSearch(target_rel_error=1e-12, start=1, step=2, max_layers=3, cold_start=False)
    hva = vqe(p, layers="auto", depth=search, steps=30)
    assert [h["grow"] for h in hva.extra["depth_history"]] == [None, "interp"]
    sb = vqe(p, ansatz="hva-sb", layers="auto", depth=search, steps=30)  # 3 weights a layer plus one
    assert [h["grow"] for h in sb.extra["depth_history"]] == [None, "append"]
    forced = vqe(p, layers="auto", depth=replace(search, grow="append"), steps=30)
    assert [h["grow"] for h in forced.extra["depth_history"]] == [None, "append"]
    with pytest.raises(ValueError, match=r"DepthSearch\(grow='interp'\) needs the same number of weights"):
        vqe(p, ansatz="hva-sb", layers="auto", depth=replace(search, grow="interp"), steps=30)


def test_interpolated_growth_finds_the_deeper_optimum_of_the_critical_open_chain():
    # Appending near-identity layers to the 2-layer optimum stalls in a shallower basin here;
    # interpolating the angle schedules starts next to the 6-layer optimum.
    p = get_problem("tfim", n=12, h=1.0, periodic=False)
    search = DepthSearch(target_rel_error=1e-12, start=2, step=4, max_layers=6, cold_start=False)
    interp = vqe(p, layers="auto", depth=search)
    append = vqe(p, layers="auto", depth=replace(search, grow="append"))
    assert interp.layers == append.layers == 6
    assert interp.rel_error < 0.8 * append.rel_error  # 1.5e-3 (85 evaluations) vs 2.3e-3 (251)


def test_an_energy_only_target_stops_each_depth_once_it_is_met():
    p = get_problem("tfim", n=8, h=1.0, periodic=False)
    search = DepthSearch(target_rel_error=1e-2, target_fidelity=None, start=2, max_layers=4)
    fast = vqe(p, layers="auto", depth=search)
    full = vqe(p, layers="auto", depth=replace(search, stop_at_target=False))
    assert fast.extra["depth_stop"] == full.extra["depth_stop"] == "target"
    assert fast.rel_error <= 1e-2
    assert fast.converged
    assert "stopped at the energy target" in fast.message
    assert fast.n_evals < full.n_evals
    assert full.rel_error < fast.rel_error  # converged further than it needed


def test_plateau_without_a_reference():
    res = vqe(
        get_problem("tfim", n=4, h=1.0),
        layers="auto",
        exact=False,
        depth=DepthSearch(plateau_tol=1e-6, max_layers=10),
    )
    assert res.extra["depth_stop"] == "plateau"
    assert abs(res.energy - get_problem("tfim", n=4, h=1.0).exact().energy) < 1e-6


def test_prefix_rule():
    p = get_problem("tfim", n=4)
    assert is_prefix(p.ansatz(1), p.ansatz(3))
    assert not is_prefix(p.ansatz(3), p.ansatz(1))
    assert is_prefix(hardware_efficient(4, 1), hardware_efficient(4, 2))
    a = Circuit(2).add("RX", 0, W(0))
    assert not is_prefix(a, Circuit(2).add("RY", 0, W(0)).add("RX", 0, W(1)))
    assert not is_prefix(a, Circuit(3).add("RX", 0, W(0)))


def test_sweep_grows_each_point():
    sweep = vqe_sweep(
        "tfim", [0.5, 1.5], param="h", problem_params={"n": 6, "periodic": False}, layers="auto"
    )
    assert all(r.extra["depth_stop"] == "target" for r in sweep.results)
    assert sweep.max_rel_error <= 1e-3


def test_bad_settings():
    with pytest.raises(ValueError, match="target_rel_error must be a number > 0"):
        DepthSearch(target_rel_error=0)
    with pytest.raises(ValueError, match=r"target_fidelity must be in \(0, 1\]"):
        DepthSearch(target_fidelity=1.5)
    with pytest.raises(ValueError, match="max_layers must be an integer >= 1"):
        DepthSearch(max_layers=0)
    with pytest.raises(ValueError, match="step must be an integer >= 1"):
        DepthSearch(step=0)
    with pytest.raises(ValueError, match="grow must be one of auto, interp, append"):
        DepthSearch(grow="prepend")
    with pytest.raises(ValueError, match="layers must be an integer >= 1 or 'auto'"):
        vqe(get_problem("tfim", n=4), layers="deep")
    with pytest.raises(ValueError, match="needs a problem ansatz by name"):
        vqe((pauli("Z0 Z1"), hardware_efficient(2, 1)), layers="auto")


# The issue's targets: rel err <= 1e-3 and fidelity >= 0.99 within 120 s on one thread.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("xxz", {"n": 10, "delta": 0.5}),
        ("j1j2", {"n": 10, "J2": 0.3}),
        ("tfim", {"n": 12, "h": 1.0, "periodic": False}),
    ],
)
def test_auto_depth_reaches_the_issue_targets(name, params):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0 = time.perf_counter()
        res = vqe(get_problem(name, **params), layers="auto")
        seconds = time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)
    assert res.extra["depth_stop"] == "target", res.extra["depth_history"]
    assert res.rel_error <= 1e-3
    assert res.fidelity >= 0.99
    assert seconds < 240  # 6-30 s measured (interpolated growth); generous for a loaded CI machine
