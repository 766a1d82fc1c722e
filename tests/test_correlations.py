"""qml.correlations against dense Pauli matrices built here with numpy.kron (wire 0 = leftmost factor)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from dense import assert_batched_equals_stacked, ghz, heisenberg_ring, op, product_state, random_state
from dense import tfim_open as tfim

from qml.correlations import (
    chain_momenta,
    correlation_matrix,
    magnetization,
    spin_correlations,
    staggered_magnetization_sq,
    string_order,
    structure_factor,
    total_spin_squared,
)
from qml.problems.lattice import chain

TOL = 1e-10


# -- independent dense references -------------------------------------------------------------


def ev(psi: np.ndarray, o: np.ndarray) -> float:
    val = np.vdot(psi, o @ psi)
    assert abs(val.imag) < 1e-12
    return float(val.real)


def dense_corr(psi: np.ndarray, a: str, connected: bool = False) -> np.ndarray:
    n = int(np.log2(psi.size))
    c = np.array([[ev(psi, op(n, {i: a}) @ op(n, {j: a})) for j in range(n)] for i in range(n)])
    if connected:
        m = dense_mag(psi, a)
        c = c - np.outer(m, m)
    return c


def dense_mag(psi: np.ndarray, a: str) -> np.ndarray:
    n = int(np.log2(psi.size))
    return np.array([ev(psi, op(n, {i: a})) for i in range(n)])


def spin_sum(n: int, a: str, w: np.ndarray | None = None) -> np.ndarray:
    """``sum_i w_i S^a_i`` with ``S = sigma / 2``."""
    w = np.ones(n) if w is None else w
    return sum(w[i] * op(n, {i: a}) / 2 for i in range(n))


def basis(n: int, bits: str) -> np.ndarray:
    psi = np.zeros(2**n, dtype=complex)
    psi[int(bits, 2)] = 1.0
    return psi


def singlet() -> np.ndarray:
    return np.array([0, 1, -1, 0], dtype=complex) / 2**0.5


NAMED = {
    "random5": lambda: random_state(5, 11),
    "product4": lambda: product_state(4, 3),
    "singlet": singlet,
    "ghz4": lambda: ghz(4),
    "neel5": lambda: basis(5, "01010"),
    "heisenberg6": heisenberg_ring,
    "tfim6": tfim,
}


def t(psi: np.ndarray, dtype: torch.dtype = torch.complex128) -> torch.Tensor:
    return torch.tensor(psi, dtype=dtype)


def as_state(p: torch.Tensor) -> torch.Tensor:
    """A real ``(2, D)`` parameter tensor mapped to a normalised complex state (for gradcheck)."""
    psi = torch.complex(p[0], p[1])
    return psi / torch.linalg.vector_norm(psi)


def grad_params(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(2, 2**n, generator=g, dtype=torch.float64, requires_grad=True)


# -- correlation matrices and magnetisation -----------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 6])
@pytest.mark.parametrize("axis", ["x", "y", "z"])
@pytest.mark.parametrize("connected", [False, True])
def test_correlation_matrix_random(n, axis, connected):
    psi = random_state(n, 100 + n)
    got = correlation_matrix(t(psi), axis, connected=connected)
    assert got.shape == (n, n)
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), dense_corr(psi, axis, connected), atol=TOL)
    np.testing.assert_allclose(magnetization(t(psi), axis).numpy(), dense_mag(psi, axis), atol=TOL)


@pytest.mark.parametrize("name", list(NAMED))
def test_named_states_all_axes(name):
    psi = NAMED[name]()
    c = spin_correlations(t(psi))
    cc = spin_correlations(t(psi), connected=True)
    assert sorted(c) == ["x", "y", "z"]
    for a in "xyz":
        np.testing.assert_allclose(c[a].numpy(), dense_corr(psi, a), atol=TOL)
        np.testing.assert_allclose(cc[a].numpy(), dense_corr(psi, a, connected=True), atol=TOL)
        np.testing.assert_allclose(magnetization(t(psi), a).numpy(), dense_mag(psi, a), atol=TOL)


def test_known_values():
    s = spin_correlations(t(singlet()))
    for a in "xyz":
        np.testing.assert_allclose(s[a].numpy(), [[1, -1], [-1, 1]], atol=TOL)
    np.testing.assert_allclose(correlation_matrix(t(ghz(4)), "z").numpy(), np.ones((4, 4)), atol=TOL)
    np.testing.assert_allclose(magnetization(t(ghz(4)), "z").numpy(), np.zeros(4), atol=TOL)
    # a product state has no connected correlations between different sites
    psi = product_state(5, 2)
    cc = correlation_matrix(t(psi), "y", connected=True).numpy()
    my = dense_mag(psi, "y")
    np.testing.assert_allclose(cc, np.diag(1 - my**2), atol=TOL)


@pytest.mark.parametrize("name", list(NAMED))
def test_total_spin_squared(name):
    psi = NAMED[name]()
    n = int(np.log2(psi.size))
    s2 = sum(spin_sum(n, a) @ spin_sum(n, a) for a in "xyz")
    assert total_spin_squared(t(psi)).item() == pytest.approx(ev(psi, s2), abs=TOL)
    # equivalently (1/4) sum_ij (Cxx + Cyy + Czz)
    c = spin_correlations(t(psi))
    assert total_spin_squared(t(psi)).item() == pytest.approx(
        sum(c[a].sum().item() for a in "xyz") / 4, abs=TOL
    )


def test_total_spin_squared_multiplets():
    assert total_spin_squared(t(singlet())).item() == pytest.approx(0.0, abs=TOL)
    assert total_spin_squared(t(heisenberg_ring())).item() == pytest.approx(0.0, abs=TOL)
    for triplet in (basis(2, "00"), basis(2, "11"), np.array([0, 1, 1, 0]) / 2**0.5):
        assert total_spin_squared(t(triplet)).item() == pytest.approx(2.0, abs=TOL)
    for n in range(1, 6):
        s = n / 2
        assert total_spin_squared(t(basis(n, "1" * n))).item() == pytest.approx(s * (s + 1), abs=TOL)


# -- structure factor ---------------------------------------------------------------------------


def dense_sq(psi: np.ndarray, q: np.ndarray, r: np.ndarray, axes: str, connected: bool = False) -> complex:
    """``(1/N) sum_ij exp(i q.(r_i - r_j)) <S^a_i S^a_j>`` by the definition, complex arithmetic."""
    n = len(r)
    total = 0j
    for a in axes:
        m = dense_mag(psi, a) / 2
        for i, j in itertools.product(range(n), repeat=2):
            sij = ev(psi, op(n, {i: a}) @ op(n, {j: a})) / 4
            if connected:
                sij -= m[i] * m[j]
            total += np.exp(1j * np.dot(q, r[i] - r[j])) * sij
    return total / n


@pytest.mark.parametrize("axis", ["x", "y", "z", "all"])
@pytest.mark.parametrize("connected", [False, True])
def test_structure_factor_chain(axis, connected):
    n = 5
    psi = random_state(n, 7)
    r = np.arange(n, dtype=float)[:, None]
    qs = [*chain_momenta(n).tolist(), 0.37, -1.9]
    got = structure_factor(t(psi), qs, axis=axis, connected=connected)
    assert got.shape == (len(qs),)
    assert got.dtype == torch.float64
    want = [dense_sq(psi, np.array([q]), r, "xyz" if axis == "all" else axis, connected) for q in qs]
    assert np.abs(np.imag(want)).max() < 1e-12
    np.testing.assert_allclose(got.numpy(), np.real(want), atol=TOL)
    one = structure_factor(t(psi), 0.37, axis=axis, connected=connected)
    assert one.shape == ()
    assert one.item() == pytest.approx(np.real(want[-2]), abs=TOL)


def test_structure_factor_2d_positions():
    n = 6
    psi = random_state(n, 21)
    r = np.array([(x, y) for x in range(3) for y in range(2)], dtype=float) * [1.0, 1.5]
    qs = np.array([[0.0, 0.0], [np.pi, 0.0], [np.pi, np.pi / 1.5], [0.3, -1.1]])
    for axis in ("z", "all"):
        got = structure_factor(t(psi), qs, positions=r, axis=axis)
        assert got.shape == (4,)
        want = [dense_sq(psi, q, r, "xyz" if axis == "all" else axis).real for q in qs]
        np.testing.assert_allclose(got.numpy(), want, atol=TOL)
        single = structure_factor(t(psi), qs[2], positions=r, axis=axis)
        assert single.shape == ()
        assert single.item() == pytest.approx(want[2], abs=TOL)


def test_structure_factor_lattice_positions_and_scalar_q():
    psi = random_state(5, 5)
    lat = chain(5)
    a = structure_factor(t(psi), 1.1, positions=lat.positions)
    b = structure_factor(t(psi), 1.1)
    c = structure_factor(t(psi), [1.1, 0.0], positions=lat.positions)
    assert a.item() == pytest.approx(b.item(), abs=TOL)
    assert c.item() == pytest.approx(b.item(), abs=TOL)


def test_structure_factor_heisenberg_ring():
    n = 6
    psi = heisenberg_ring(n)
    eps = (-1.0) ** np.arange(n)
    ms = spin_sum(n, "z", eps)
    want = ev(psi, ms @ ms) / n  # S^zz(pi) = <(sum_i (-1)^i S^z_i)^2> / N
    assert structure_factor(t(psi), np.pi).item() == pytest.approx(want, abs=TOL)
    # SU(2) symmetric singlet: each axis contributes the same, S(0) = <S_tot^2> / N = 0
    assert structure_factor(t(psi), np.pi, axis="all").item() == pytest.approx(3 * want, abs=TOL)
    assert structure_factor(t(psi), 0.0, axis="all").item() == pytest.approx(0.0, abs=TOL)
    # sum rule: sum over the ring momenta of S^zz(q) = sum_i <(S^z_i)^2> = N / 4
    assert structure_factor(t(psi), chain_momenta(n)).sum().item() == pytest.approx(n / 4, abs=TOL)


def test_chain_momenta():
    np.testing.assert_allclose(chain_momenta(6).numpy(), 2 * np.pi * np.arange(6) / 6)
    with pytest.raises(ValueError, match="positive integer"):
        chain_momenta(0)


# -- staggered magnetisation and string order ---------------------------------------------------


def dense_ms2(psi: np.ndarray, eps: np.ndarray) -> float:
    n = len(eps)
    return sum(ev(psi, spin_sum(n, a, eps) @ spin_sum(n, a, eps)) for a in "xyz") / n**2


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_staggered_neel(n):
    psi = basis(n, "".join(str(i % 2) for i in range(n)))
    eps = (-1.0) ** np.arange(n)
    got = staggered_magnetization_sq(t(psi)).item()
    assert got == pytest.approx(dense_ms2(psi, eps), abs=TOL)
    assert got == pytest.approx(0.25 + 0.5 / n, abs=TOL)


@pytest.mark.parametrize("name", list(NAMED))
def test_staggered_named_states(name):
    psi = NAMED[name]()
    n = int(np.log2(psi.size))
    eps = (-1.0) ** np.arange(n)
    assert staggered_magnetization_sq(t(psi)).item() == pytest.approx(dense_ms2(psi, eps), abs=TOL)
    w = np.random.default_rng(n).choice([-1.0, 1.0], size=n)
    assert staggered_magnetization_sq(t(psi), signs=w).item() == pytest.approx(dense_ms2(psi, w), abs=TOL)
    assert staggered_magnetization_sq(t(psi), signs=torch.tensor(w)).item() == pytest.approx(
        dense_ms2(psi, w), abs=TOL
    )


def test_staggered_heisenberg_ring_matches_structure_factor():
    psi = heisenberg_ring(6)
    # m_s^2 = S^{S.S}(pi) / N on a ring
    want = structure_factor(t(psi), np.pi, axis="all").item() / 6
    assert staggered_magnetization_sq(t(psi)).item() == pytest.approx(want, abs=TOL)


@pytest.mark.parametrize(("end", "string"), [("z", "z"), ("x", "z"), ("y", "x"), ("z", "y"), ("y", "y")])
def test_string_order(end, string):
    n = 5
    for psi in (random_state(n, 9), tfim(6), heisenberg_ring(6)):
        n = int(np.log2(psi.size))
        for i, j in itertools.combinations(range(n), 2):
            factors = {i: end, j: end, **{k: string for k in range(i + 1, j)}}
            want = ev(psi, op(n, factors))
            assert string_order(t(psi), i, j, end=end, string=string).item() == pytest.approx(want, abs=TOL)


def test_string_order_ghz():
    psi = ghz(4)
    assert string_order(t(psi), 0, 3, "x", "x").item() == pytest.approx(1.0, abs=TOL)
    assert string_order(t(psi), 0, 3, "z", "z").item() == pytest.approx(1.0, abs=TOL)  # Z^4 = even parity
    assert string_order(t(psi), 0, 2, "z", "z").item() == pytest.approx(0.0, abs=TOL)


# -- batching, dtypes, gradients ----------------------------------------------------------------

FUNCS = {
    "corr_x": lambda s: correlation_matrix(s, "x"),
    "corr_y_conn": lambda s: correlation_matrix(s, "y", connected=True),
    "corr_z_conn": lambda s: correlation_matrix(s, "z", connected=True),
    "mag_x": lambda s: magnetization(s, "x"),
    "mag_y": lambda s: magnetization(s, "y"),
    "mag_z": lambda s: magnetization(s, "z"),
    "s2": total_spin_squared,
    "sq_all": lambda s: structure_factor(s, [0.0, 1.3, np.pi], axis="all"),
    "sq_y": lambda s: structure_factor(s, 2.1, axis="y", connected=True),
    "ms2": staggered_magnetization_sq,
    "string_xz": lambda s: string_order(s, 0, 2, "x", "z"),
    "string_yy": lambda s: string_order(s, 1, 3, "y", "y"),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_batched_equals_stacked(name):
    assert_batched_equals_stacked(FUNCS[name], tol=TOL)
    # a batch of one keeps its batch axis
    f, batch = FUNCS[name], t(np.stack([random_state(4, s) for s in range(3)]))
    assert f(batch[:1]).shape == (1, *f(batch).shape[1:])


@pytest.mark.parametrize("name", list(FUNCS))
def test_dtypes(name):
    f = FUNCS[name]
    psi = random_state(4, 31)
    ref = f(t(psi))
    got = f(t(psi, torch.complex64))
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), ref, atol=1e-5, rtol=0)
    real = np.random.default_rng(2).normal(size=16)
    real /= np.linalg.norm(real)
    torch.testing.assert_close(f(t(real, torch.float64)), f(t(real.astype(complex))), atol=TOL, rtol=0)
    assert f(t(real, torch.float32)).dtype == torch.float32


@pytest.mark.parametrize("name", list(FUNCS))
def test_gradcheck(name):
    f = FUNCS[name]
    p = grad_params(4, 5)
    assert torch.autograd.gradcheck(lambda x: f(as_state(x)), (p,), atol=1e-7)


def test_gradcheck_batched_and_complex_input():
    p = torch.randn(2, 8, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: correlation_matrix(s, "y"), (p,))
    assert torch.autograd.gradcheck(lambda s: structure_factor(s, [0.5, 2.0], axis="all"), (p,))


# -- errors -------------------------------------------------------------------------------------


def test_state_errors():
    with pytest.raises(ValueError, match="not a power of two"):
        correlation_matrix(torch.zeros(6, dtype=torch.complex128))
    with pytest.raises(ValueError, match=r"expected \(2\*\*n,\) or a batch"):
        magnetization(torch.zeros(2, 2, 2, dtype=torch.complex128))
    with pytest.raises(TypeError, match=r"dtype torch\.int64"):
        total_spin_squared(torch.zeros(4, dtype=torch.int64))
    with pytest.raises(ValueError, match="not a power of two >= 2"):
        magnetization(torch.ones(1, dtype=torch.complex128))


def test_argument_errors():
    psi = t(random_state(4, 0))
    with pytest.raises(ValueError, match="axis='w' is not one of"):
        correlation_matrix(psi, "w")
    with pytest.raises(ValueError, match="axis='all' is not one of"):
        magnetization(psi, "all")
    with pytest.raises(ValueError, match=r"i < j, got i=2, j=1"):
        string_order(psi, 2, 1)
    with pytest.raises(ValueError, match=r"i < j, got i=2, j=2"):
        string_order(psi, 2, 2)
    with pytest.raises(ValueError, match=r"j=4 is out of range for a 4-qubit state \(valid sites 0..3\)"):
        string_order(psi, 0, 4)
    with pytest.raises(ValueError, match=r"i=-1 is out of range"):
        string_order(psi, -1, 2)
    with pytest.raises(TypeError, match="integer site index"):
        string_order(psi, 0.5, 2)
    with pytest.raises(ValueError, match="string='q' is not one of"):
        string_order(psi, 0, 2, string="q")
    with pytest.raises(ValueError, match=r"signs has shape \(3,\); expected \(4,\)"):
        staggered_magnetization_sq(psi, signs=[1, -1, 1])
    with pytest.raises(ValueError, match=r"positions have shape \(3, 2\); expected \(4,\) or \(4, d\)"):
        structure_factor(psi, 0.0, positions=np.zeros((3, 2)))
    square = np.array([(0, 0), (0, 1), (1, 0), (1, 1)], dtype=float)
    with pytest.raises(ValueError, match="is a scalar but the sites are spread over 2 dimensions"):
        structure_factor(psi, 1.0, positions=square)
    with pytest.raises(ValueError, match="q has length 3 but the positions are 2-dimensional"):
        structure_factor(psi, [1.0, 2.0, 3.0], positions=square)
    with pytest.raises(ValueError, match=r"q has shape \(2, 3\)"):
        structure_factor(psi, np.zeros((2, 3)), positions=square)
