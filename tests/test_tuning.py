"""The cost-model constants: one table per device kind, each constant with where it was measured."""

import dataclasses

import numpy as np
import torch
from conftest import hea

from qml import Simulator
from qml.sim.tuning import MEASURED, TUNING, Tuning, tuning


def test_every_constant_says_where_it_was_measured():
    names = {f.name for f in dataclasses.fields(Tuning)} - {"measured"}
    assert names == set(MEASURED)


def test_device_kinds():
    assert tuning("cpu") is TUNING["cpu"]
    assert tuning("cuda:1") is TUNING["cuda"]
    assert tuning(torch.device("meta")) is TUNING["cpu"]  # other kinds: the CPU fit
    assert TUNING["cpu"].measured
    assert not TUNING["cuda"].measured


def test_the_routes_read_the_table(monkeypatch):
    c = hea(8, 2)
    w = torch.tensor(np.linspace(-1, 1, c.n_weights), requires_grad=True)
    x = torch.rand(1024, 8, dtype=torch.float64)
    assert Simulator().explain(c, "Z0 Z7", w, x).measure == "two-register split"
    monkeypatch.setitem(TUNING, "cpu", dataclasses.replace(TUNING["cpu"], split_min_wires=9))
    assert Simulator().explain(c, "Z0 Z7", w, x).measure != "two-register split"
