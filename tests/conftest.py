"""Shared fixtures: GPU skipping and seeded random circuits."""

from __future__ import annotations

import os

# Two cores, two test workers: one BLAS/OpenMP thread each, or dense eigensolves oversubscribe.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import pytest
import torch

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)  # one thread per worker: -n 2 on 2 cores must not oversubscribe

from qml.gates import GATES
from qml.ir import Circuit, Param, W, X


def pytest_collection_modifyitems(config, items):
    """Skip ``gpu`` tests without CUDA and ``hardware`` tests unless ``-m hardware`` asks for them."""
    hardware_asked = "hardware" in (config.getoption("-m") or "")
    no_gpu = pytest.mark.skip(reason="needs CUDA")
    no_hw = pytest.mark.skip(reason="real IBM hardware: run with -m hardware")
    for item in items:
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(no_gpu)
        if "hardware" in item.keywords and not hardware_asked:
            item.add_marker(no_hw)


def seeded_circuit(
    seed: int, n_wires: int, n_ops: int, n_inputs: int = 0, gates: list[str] | None = None
) -> Circuit:
    """A random circuit over ``gates`` (default: all but Unitary) with weights, inputs and products."""
    rng = np.random.default_rng(seed)
    names = [g for g in (gates or sorted(GATES)) if GATES[g].n_wires <= n_wires and g != "Unitary"]
    c = Circuit(n_wires)
    k = 0
    for _ in range(n_ops):
        name = str(rng.choice(names))
        spec = GATES[name]
        wires = tuple(int(w) for w in rng.permutation(n_wires)[: spec.n_wires])
        params: list[Param | float] = []
        for _ in range(spec.n_params):
            kind = rng.integers(0, 4) if n_inputs else rng.integers(0, 2)
            if kind == 0:
                params.append(W(k))
            elif kind == 1:
                params.append(0.7 * W(k) - 0.3)
            elif kind == 2:
                params.append(X(int(rng.integers(n_inputs))) * W(k))
            else:
                params.append(2.0 * X(int(rng.integers(n_inputs))) + W(k))
            k += 1
        c = c.add(name, wires, *params)
    return c


def hea(n_wires: int, layers: int, encode: str | None = "RX") -> Circuit:
    """``encode(X(q))`` on every wire (unless None), then ``layers`` of RY, RZ per wire and a CNOT ladder.

    The same circuit as ``benchmarks.common.hea_circuit``, kept apart on purpose: importing the
    benchmark package fills thread environment variables as a side effect, which only
    tests/test_benchmarks.py takes on (under a fixture that restores torch's threads).
    """
    c = Circuit(n_wires)
    if encode is not None:
        for q in range(n_wires):
            c = c.add(encode, q, X(q))
    k = 0
    for _ in range(layers):
        for q in range(n_wires):
            c = c.add("RY", q, W(k)).add("RZ", q, W(k + 1))
            k += 2
        for q in range(n_wires - 1):
            c = c.add("CNOT", (q, q + 1))
    return c


def count_calls(monkeypatch, owner, name: str) -> list[int]:
    """Wrap ``owner.name`` so that its calls are counted; returns the one-element counter."""
    count = [0]
    real = getattr(owner, name)

    def spy(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return count


def pl_state(n_wires: int, body) -> np.ndarray:
    """State of a PennyLane ``default.qubit`` circuit from |0..0> (same wire order as ours)."""
    import pennylane as qp

    dev = qp.device("default.qubit", wires=n_wires)

    @qp.qnode(dev)
    def circuit():
        body()
        return qp.state()

    return np.asarray(circuit())


def rand(seed: int, n: int) -> np.ndarray:
    """``n`` angles uniform in [-pi, pi) from a NumPy seed."""
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, n)


@pytest.fixture
def random_circuit():
    return seeded_circuit


@pytest.fixture
def saved_figures(monkeypatch):
    """Every matplotlib ``Figure`` saved during the test (the files are still written), to inspect axes."""
    from matplotlib.figure import Figure

    figures = []
    real = Figure.savefig

    def save(self, *args, **kwargs):
        figures.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", save)
    return figures
