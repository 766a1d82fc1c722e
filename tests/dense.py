"""Independent dense references for the physics tests: Pauli matrices by numpy.kron (not qml code).

Wire 0 is the leftmost kron factor, i.e. the most significant bit of a basis index.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

PAULI = {
    "i": np.eye(2, dtype=complex),
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def op(n: int, factors: dict[int, str]) -> np.ndarray:
    """``prod_w sigma^{factors[w]}_w`` as a dense matrix (letters in either case)."""
    out = np.ones((1, 1), dtype=complex)
    for w in range(n):
        out = np.kron(out, PAULI[factors.get(w, "i").lower()])
    return out


def random_state(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return psi / np.linalg.norm(psi)


def product_state(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = np.ones(1, dtype=complex)
    for _ in range(n):
        v = rng.normal(size=2) + 1j * rng.normal(size=2)
        psi = np.kron(psi, v / np.linalg.norm(v))
    return psi


def ghz(n: int) -> np.ndarray:
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = psi[-1] = 2**-0.5
    return psi


def ground_state(h: np.ndarray) -> np.ndarray:
    e, v = np.linalg.eigh(h)
    assert e[1] - e[0] > 1e-8, "degenerate ground state"
    return v[:, 0]


@functools.cache
def heisenberg_ring(n: int = 6) -> np.ndarray:
    """Ground state of ``sum_i S_i . S_{i+1}`` on a ring (spin units): a singlet."""
    return ground_state(sum(op(n, {i: a, (i + 1) % n: a}) / 4 for i in range(n) for a in "xyz"))


@functools.cache
def tfim_open(n: int = 6, g: float = 0.8) -> np.ndarray:
    """Ground state of the open TFIM ``-sum Z_i Z_{i+1} - g sum X_i``."""
    h = -sum(op(n, {i: "z", i + 1: "z"}) for i in range(n - 1)) - g * sum(op(n, {i: "x"}) for i in range(n))
    return ground_state(h)


def assert_batched_equals_stacked(f, n: int = 4, tol: float = 1e-10) -> None:
    """``f`` on a batch of three random states equals ``f`` on each state stacked."""
    batch = torch.tensor(np.stack([random_state(n, s) for s in range(3)]), dtype=torch.complex128)
    got = f(batch)
    want = torch.stack([f(row) for row in batch])
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, atol=tol, rtol=0)


def dense_xxz(n: int, J: float, delta: float, periodic: bool, h: float = 0.0) -> np.ndarray:
    """``J sum (Sx Sx + Sy Sy + delta Sz Sz) + h sum Sz`` on a chain (spin units ``S = sigma / 2``)."""
    bonds = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if periodic and n > 2 else [])
    terms = (("x", 1.0), ("y", 1.0), ("z", delta))
    H = sum(J * c * op(n, {i: a, j: a}) / 4 for i, j in bonds for a, c in terms)
    return H + h * sum(op(n, {i: "z"}) / 2 for i in range(n))
