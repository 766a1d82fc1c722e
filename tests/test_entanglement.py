"""qml.entanglement against numpy references: explicit partial traces and Schmidt values by SVD."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from dense import (
    PAULI,
    assert_batched_equals_stacked,
    ghz,
    heisenberg_ring,
    op,
    product_state,
    random_state,
    tfim_open,
)

from qml.entanglement import entanglement_entropy, entanglement_profile, reduced_density_matrix

TOL = 1e-10
LOG2 = math.log(2)


# -- independent references ---------------------------------------------------------------------


def partial_trace(psi: np.ndarray, keep: list[int]) -> np.ndarray:
    """Trace out the wires not in ``keep`` from ``|psi><psi|``, one wire at a time (ascending ``keep``)."""
    n = int(np.log2(psi.size))
    rho = np.outer(psi, psi.conj()).reshape((2,) * (2 * n))
    m = n
    for w in sorted(set(range(n)) - set(keep), reverse=True):
        rho = np.trace(rho, axis1=w, axis2=w + m)
        m -= 1
    d = 2 ** len(keep)
    return rho.reshape(d, d)


def schmidt_probs(psi: np.ndarray, subsystem: list[int]) -> np.ndarray:
    n = int(np.log2(psi.size))
    t = np.moveaxis(psi.reshape((2,) * n), sorted(subsystem), range(len(subsystem)))
    s = np.linalg.svd(t.reshape(2 ** len(subsystem), -1), compute_uv=False)
    return s**2


def svd_entropy(psi: np.ndarray, subsystem: list[int], kind: str = "vn") -> float:
    p = schmidt_probs(psi, subsystem)
    if kind == "renyi2":
        return float(-np.log(np.sum(p**2)))
    p = p[p > 1e-300]
    return float(-np.sum(p * np.log(p)))


def t(psi: np.ndarray, dtype: torch.dtype = torch.complex128) -> torch.Tensor:
    return torch.tensor(psi, dtype=dtype)


def subsets(n: int) -> list[tuple[int, ...]]:
    return [s for k in range(n + 1) for s in itertools.combinations(range(n), k)]


def as_state(p: torch.Tensor) -> torch.Tensor:
    psi = torch.complex(p[0], p[1])
    return psi / torch.linalg.vector_norm(psi)


# -- reduced density matrices -------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5])
def test_rdm_matches_partial_trace(n):
    psi = random_state(n, n)
    rng = np.random.default_rng(0)
    for sub in subsets(n):
        order = list(rng.permutation(sub)) if sub else []
        rho = reduced_density_matrix(t(psi), order)
        assert rho.shape == (2 ** len(sub),) * 2
        assert rho.dtype == torch.complex128
        np.testing.assert_allclose(rho.numpy(), partial_trace(psi, list(sub)), atol=TOL)


def test_rdm_reproduces_local_expectations():
    n = 5
    psi = random_state(n, 42)
    sub = [3, 1]  # ascending order in the rdm: wire 1 is the most significant bit
    rho = reduced_density_matrix(t(psi), sub).numpy()
    for a, b in itertools.product("ixyz", repeat=2):
        want = np.vdot(psi, op(n, {1: a, 3: b}) @ psi)
        got = np.trace(rho @ np.kron(PAULI[a], PAULI[b]))
        assert got == pytest.approx(want, abs=TOL)


def test_rdm_wire_order_and_edge_cases():
    psi = np.zeros(8, dtype=complex)
    psi[0b011] = 1.0  # |0>|1>|1>
    rho = reduced_density_matrix(t(psi), (2, 0)).numpy()
    want = np.zeros((4, 4))
    want[1, 1] = 1.0  # wires (0, 2) in state |0 1>
    np.testing.assert_allclose(rho, want, atol=TOL)
    np.testing.assert_allclose(reduced_density_matrix(t(psi), 1).numpy(), [[0, 0], [0, 1]], atol=TOL)
    np.testing.assert_allclose(reduced_density_matrix(t(psi), []).numpy(), [[1.0]], atol=TOL)
    full = reduced_density_matrix(t(psi), [2, 1, 0]).numpy()
    np.testing.assert_allclose(full, np.outer(psi, psi.conj()), atol=TOL)


# -- entropies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 6])
@pytest.mark.parametrize("kind", ["vn", "renyi2"])
def test_entropy_matches_svd(n, kind):
    psi = random_state(n, 10 + n)
    subs = subsets(n) if n <= 4 else [(0,), (1, 3), (0, 2, 4), (n - 1, 0, 1, 2), tuple(range(n))]
    for sub in subs:
        got = entanglement_entropy(t(psi), list(reversed(sub)), kind=kind)
        assert got.shape == ()
        assert got.dtype == torch.float64
        assert got.item() == pytest.approx(svd_entropy(psi, list(sub), kind), abs=TOL)
    got2 = entanglement_entropy(t(psi), [0, 1], kind=kind, base=2).item()
    assert got2 == pytest.approx(svd_entropy(psi, [0, 1], kind) / LOG2, abs=TOL)


@pytest.mark.parametrize("name", ["heisenberg", "tfim"])
@pytest.mark.parametrize("kind", ["vn", "renyi2"])
def test_ground_state_profiles(name, kind):
    psi = heisenberg_ring() if name == "heisenberg" else tfim_open(6, 1.0)
    got = entanglement_profile(t(psi), kind=kind)
    want = [svd_entropy(psi, list(range(k)), kind) for k in range(1, 6)]
    np.testing.assert_allclose(got.numpy(), want, atol=TOL)
    # reflection symmetry of both chains: S(k) = S(n - k)
    np.testing.assert_allclose(got.numpy(), got.numpy()[::-1], atol=1e-9)


def test_known_values():
    bell = np.array([1, 0, 0, 1]) / 2**0.5
    for kind in ("vn", "renyi2"):
        assert entanglement_entropy(t(bell), [0], kind=kind).item() == pytest.approx(LOG2, abs=TOL)
        assert entanglement_entropy(t(bell), [1], kind=kind, base=2).item() == pytest.approx(1.0, abs=TOL)
        prod = t(product_state(4, 1))
        assert entanglement_entropy(prod, [0, 2], kind=kind).item() == pytest.approx(0.0, abs=TOL)
        np.testing.assert_allclose(entanglement_profile(prod, kind=kind).numpy(), np.zeros(3), atol=TOL)
        for n in (2, 3, 5):
            prof = entanglement_profile(t(ghz(n)), kind=kind)
            np.testing.assert_allclose(prof.numpy(), np.full(n - 1, LOG2), atol=TOL)
    assert entanglement_profile(t(np.array([1.0, 0.0]))).shape == (0,)
    assert entanglement_profile(t(np.ones((3, 2)) / 2**0.5)).shape == (3, 0)


def test_product_state_gradient_is_finite():
    p = torch.tensor(np.stack([product_state(3, 4).real, product_state(3, 4).imag]), requires_grad=True)
    for f in (
        lambda s: entanglement_entropy(s, [1]),
        lambda s: entanglement_entropy(s, [0, 2], kind="renyi2"),
        entanglement_profile,
    ):
        (g,) = torch.autograd.grad(f(as_state(p)).sum(), p)
        assert torch.isfinite(g).all()


# -- batching, dtypes, gradients ----------------------------------------------------------------

FUNCS = {
    "rdm_02": lambda s: reduced_density_matrix(s, [2, 0]),
    "rdm_3": lambda s: reduced_density_matrix(s, 3),
    "vn_1": lambda s: entanglement_entropy(s, [1]),
    "vn_013": lambda s: entanglement_entropy(s, [3, 0, 1]),
    "renyi_12": lambda s: entanglement_entropy(s, [1, 2], kind="renyi2", base=2),
    "profile_vn": entanglement_profile,
    "profile_renyi": lambda s: entanglement_profile(s, kind="renyi2"),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_batched_equals_stacked(name):
    assert_batched_equals_stacked(FUNCS[name], tol=TOL)


@pytest.mark.parametrize("name", list(FUNCS))
def test_dtypes(name):
    f = FUNCS[name]
    psi = random_state(4, 8)
    ref = f(t(psi))
    got = f(t(psi, torch.complex64))
    assert got.dtype in (torch.float32, torch.complex64)
    torch.testing.assert_close(got.to(ref.dtype), ref, atol=1e-5, rtol=0)
    real = np.random.default_rng(3).normal(size=16)
    real /= np.linalg.norm(real)
    got_real = f(t(real, torch.float64))
    assert not got_real.is_complex()
    torch.testing.assert_close(got_real.to(ref.dtype), f(t(real.astype(complex))), atol=TOL, rtol=0)


@pytest.mark.parametrize("name", list(FUNCS))
def test_gradcheck(name):
    f = FUNCS[name]
    g = torch.Generator().manual_seed(3)
    p = torch.randn(2, 16, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: f(as_state(x)), (p,), atol=1e-7)


def test_gradcheck_complex_input():
    g = torch.Generator().manual_seed(4)
    p = torch.randn(2, 8, generator=g, dtype=torch.complex128, requires_grad=True)  # batched, unnormalised
    assert torch.autograd.gradcheck(lambda s: entanglement_entropy(s, [1]), (p,))
    assert torch.autograd.gradcheck(lambda s: reduced_density_matrix(s, [0, 2]), (p,))


# -- errors -------------------------------------------------------------------------------------


def test_errors():
    psi = t(random_state(3, 0))
    with pytest.raises(
        ValueError, match=r"subsystem wire 3 is out of range for a 3-qubit state \(valid wires 0..2\)"
    ):
        reduced_density_matrix(psi, [0, 3])
    with pytest.raises(ValueError, match="subsystem lists wire 1 twice"):
        entanglement_entropy(psi, [1, 1])
    with pytest.raises(TypeError, match="subsystem entries must be integer wires"):
        entanglement_entropy(psi, [0.5])
    with pytest.raises(TypeError, match="subsystem must be a sequence of wire indices"):
        reduced_density_matrix(psi, "01")
    with pytest.raises(ValueError, match="kind='vN2' is not one of 'vn', 'renyi2'"):
        entanglement_entropy(psi, [0], kind="vN2")
    with pytest.raises(ValueError, match="base=1 must be a finite number > 0 and != 1"):
        entanglement_profile(psi, base=1)
    with pytest.raises(ValueError, match="not a power of two"):
        entanglement_profile(torch.zeros(12, dtype=torch.complex128))
