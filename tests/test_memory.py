"""The memory guard refuses runs that would not fit, with an actionable message."""

import pytest
import torch

from qml import Circuit, SimulationMemoryError, Simulator, W
from qml.sim.memory import available_bytes, check_fits, estimate_bytes


def test_estimate():
    assert estimate_bytes(10, 2, 16, 3) == 3 * 2 * 1024 * 16


def test_limit_from_environment(monkeypatch):
    monkeypatch.setenv("QML_MEMORY_LIMIT", "1M")
    assert available_bytes() <= 2**20


def test_guard_message_names_estimate_and_alternatives(monkeypatch):
    monkeypatch.setenv("QML_MEMORY_LIMIT", "64M")
    with pytest.raises(
        SimulationMemoryError, match=r"needs about .* GiB.*diff='adjoint'.*smaller batch.*complex64"
    ):
        check_fits(24, 4, torch.complex128, 10, "backprop")


def test_simulator_refuses_oversized_backprop_but_adjoint_fits(monkeypatch):
    monkeypatch.setenv("QML_MEMORY_LIMIT", "200M")
    n = 20  # one complex128 state: 16 MiB
    c = Circuit(n)
    for q in range(n):
        c = c.add("RX", q, W(q))
    w = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    deep = c
    for _ in range(4):  # ~30 fused steps: ~60 saved states of 16 MiB
        for q in range(n - 1):
            deep = deep.add("CNOT", (q, q + 1))
        for q in range(n):
            deep = deep.add("RX", q, W(q))
    with pytest.raises(SimulationMemoryError, match="backprop simulation of 20 qubits"):
        Simulator(diff="backprop", methods={"split": "never"}).expval(deep, "Z0", w)
    # the product state alone is one fused step: backprop keeps a few states, it fits
    Simulator(diff="backprop", methods={"split": "never"}).expval(c, "Z0", w).backward()
    w.grad = None
    # split into two registers (qml.sim.split), this product state needs no 2**20 amplitudes
    Simulator(diff="backprop").expval(c, "Z0", w).backward()
    assert w.grad is not None
    w.grad = None
    e = Simulator(diff="adjoint").expval(c, "Z0", w)
    e.backward()
    assert w.grad is not None
    # "auto" falls back to adjoint instead of failing
    w.grad = None
    Simulator(diff="auto").expval(c, "Z0", w).backward()
    assert w.grad is not None


def test_guard_on_forward_too(monkeypatch):
    monkeypatch.setenv("QML_MEMORY_LIMIT", "1M")
    with pytest.raises(SimulationMemoryError, match="forward simulation of 20 qubits"):
        Simulator(methods={"split": "never"}).expval(Circuit(20).add("H", 0), "Z0")
    # the two-register path keeps two 10-qubit registers, but not a whole Schmidt-rank-1024 state
    c = Circuit(20)
    for q in range(10):
        c = c.add("H", q).add("CNOT", (q, q + 10))
    with pytest.raises(SimulationMemoryError, match="simulation of 20 qubits"):
        Simulator().expval(c, "Z0")


def test_the_guard_handles_absurd_widths():
    from qml.sim.memory import SimulationMemoryError, check_fits

    with pytest.raises(SimulationMemoryError, match=r"1030 qubits .* needs about 2\^1035 B"):
        check_fits(1030, 1, torch.complex128, 2, "backprop")


def test_a_huge_batch_is_refused_before_anything_is_built(monkeypatch):
    from qml.sim.program import Program

    def never(*args, **kwargs):
        raise AssertionError("angles were built before the memory guard")

    monkeypatch.setenv("QML_MEMORY_LIMIT", "64M")
    monkeypatch.setattr(Program, "angles", never)
    c = Circuit(10).add("RX", 0, W(0))
    with pytest.raises(SimulationMemoryError, match=r"the angle table needs about .* batch \(now 10000000\)"):
        Simulator().expval(c, "Z0", torch.zeros(10**7, 1))
