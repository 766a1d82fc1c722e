"""Tests for qml.ed: exact diagonalisation against closed forms and known energies.

Models (all with the package wire order, wire 0 = high bit):

* TFIM ``H = -J sum Z_i Z_{i+1} - h sum X_i`` (J = 1). Periodic chain: the ground state
  lies in the parity ``P = prod X_i = +1`` sector, where the Jordan-Wigner fermions are
  antiperiodic, so ``E0 = -sum_{n=1..N} sqrt(1 + h^2 - 2 h cos k_n)`` with
  ``k_n = (2n - 1) pi / N`` (at ``h = 1``: ``E0 = -2 / sin(pi / (2N))``). Open chain:
  ``E0 = -(sum of singular values of the N x N bidiagonal matrix with h on the diagonal
  and J on the superdiagonal)``.
* Heisenberg ``H = sum S_i . S_{i+1}`` with ``S = sigma / 2``, periodic: ``E0(4) = -2``,
  ``E0(8) = -3.6510934089``; with ``J2 = J1 / 2`` next-nearest couplings
  (Majumdar-Ghosh) ``E0 = -3N/8``.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from qml.ed import EDResult, ground_state, spectrum_gap
from qml.paulis import PauliString, PauliSum, pauli


def tfim(n: int, h: float, periodic: bool = True, j: float = 1.0) -> PauliSum:
    bonds = n if periodic else n - 1
    return PauliSum.from_terms(
        [(-j, f"Z{i} Z{(i + 1) % n}") for i in range(bonds)] + [(-h, f"X{i}") for i in range(n)]
    )


def heisenberg(n: int, j2: float = 0.0) -> PauliSum:
    terms = [(0.25, f"{a}{i} {a}{(i + 1) % n}") for i in range(n) for a in "XYZ"]
    terms += [(0.25 * j2, f"{a}{i} {a}{(i + 2) % n}") for i in range(n) for a in "XYZ"] if j2 else []
    return PauliSum.from_terms(terms)


def parity(n: int) -> str:
    return " ".join(f"X{i}" for i in range(n))


def tfim_periodic_exact(n: int, h: float) -> float:
    k = (2 * np.arange(1, n + 1) - 1) * np.pi / n
    return float(-np.sum(np.sqrt(1 + h * h - 2 * h * np.cos(k))))


def tfim_open_exact(n: int, h: float, j: float = 1.0) -> float:
    b = np.diag(np.full(n, h)) + np.diag(np.full(n - 1, j), 1)
    return float(-np.linalg.svd(b, compute_uv=False).sum())


def residual(H: PauliSum, res: EDResult, col: int = 0) -> float:
    psi = res.states[:, col]
    return float(np.linalg.norm(H.to_sparse(res.n_wires) @ psi - res.energies[col] * psi))


def expval(op: PauliSum | str, psi: np.ndarray, n: int) -> float:
    return float(np.vdot(psi, PauliSum.coerce(op).to_sparse(n) @ psi).real)


# ---------------------------------------------------------------------------------------
# closed forms and known energies
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("h", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("n", range(4, 13))
def test_tfim_periodic_closed_form(n: int, h: float) -> None:
    # dense_below=8 keeps the sweep cheap: dense LAPACK on 2^9, 2^10 is needlessly slow when BLAS
    # threads compete for 2 cores; the N=10 dense path is covered by test_parity_pitfall_small_field.
    res = ground_state(tfim(n, h), dense_below=8)
    assert res.energy == pytest.approx(tfim_periodic_exact(n, h), abs=1e-9)
    assert res.solver == ("dense" if n <= 8 else "sparse")
    assert residual(tfim(n, h), res) < 1e-8


@pytest.mark.parametrize("n", [4, 7, 12])
def test_tfim_critical_formula(n: int) -> None:
    assert tfim_periodic_exact(n, 1.0) == pytest.approx(-2 / np.sin(np.pi / (2 * n)), abs=1e-12)
    assert ground_state(tfim(n, 1.0)).energy == pytest.approx(-2 / np.sin(np.pi / (2 * n)), abs=1e-9)


@pytest.mark.parametrize(("n", "h"), [(6, 0.5), (9, 2.0), (12, 0.5)])
def test_tfim_closed_form_is_the_even_parity_sector(n: int, h: float) -> None:
    even = ground_state(tfim(n, h), sector=parity(n), sector_value=1)
    assert even.energy == pytest.approx(tfim_periodic_exact(n, h), abs=1e-9)
    odd = ground_state(tfim(n, h), sector=parity(n), sector_value=-1)
    assert odd.energy > even.energy


@pytest.mark.parametrize("h", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("n", range(4, 13))
def test_tfim_open_closed_form(n: int, h: float) -> None:
    res = ground_state(tfim(n, h, periodic=False), dense_below=8)
    assert res.energy == pytest.approx(tfim_open_exact(n, h), abs=1e-9)


@pytest.mark.parametrize(("n", "expected"), [(4, -2.0), (8, -3.6510934089)])
def test_heisenberg_periodic(n: int, expected: float) -> None:
    res = ground_state(heisenberg(n))
    assert res.energy == pytest.approx(expected, abs=1e-9)
    # the singlet ground state has total Sz = 0
    sz = PauliSum.from_terms([(0.5, f"Z{i}") for i in range(n)])
    assert expval(sz, res.state, n) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("n", [8, 10])
def test_majumdar_ghosh(n: int) -> None:
    res = ground_state(heisenberg(n, j2=0.5), dense_below=8)
    assert res.energy == pytest.approx(-3 * n / 8, abs=1e-9)
    assert residual(heisenberg(n, j2=0.5), res) < 1e-8


# ---------------------------------------------------------------------------------------
# symmetry sectors
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dense_below", [10, 6])  # dense and Lanczos paths
def test_parity_pitfall_small_field(dense_below: int) -> None:
    """For h < 1 the two parity states are split by ~h^N; the sector must be respected."""
    n, h = 10, 0.3
    H, P = tfim(n, h), parity(n)
    plus = ground_state(H, sector=P, sector_value=+1, dense_below=dense_below)
    minus = ground_state(H, sector=P, sector_value=-1, dense_below=dense_below)
    assert expval(P, plus.state, n) == pytest.approx(1.0, abs=1e-8)
    assert expval(P, minus.state, n) == pytest.approx(-1.0, abs=1e-8)
    assert 0 < minus.energy - plus.energy < 1e-4
    assert plus.energy == pytest.approx(tfim_periodic_exact(n, h), abs=1e-9)
    for res in (plus, minus):
        assert residual(H, res) < 1e-8
        assert np.linalg.norm(res.state) == pytest.approx(1.0, abs=1e-12)
    assert plus.sector == f"{PauliString.parse(P)} = 1"
    assert minus.sector == f"{PauliString.parse(P)} = -1"
    glob = ground_state(H, dense_below=dense_below)
    assert glob.energy == pytest.approx(plus.energy, abs=1e-9)


def test_sector_from_pauli_string_object_and_sum() -> None:
    n = 6
    H = tfim(n, 0.4)
    s_str = PauliString.parse(parity(n))
    a = ground_state(H, sector=s_str, sector_value=-1)
    b = ground_state(H, sector=PauliSum.coerce(s_str), sector_value=-1)
    c = ground_state(H, sector=parity(n), sector_value=-1)
    assert a.energy == pytest.approx(b.energy, abs=1e-12)
    assert a.energy == pytest.approx(c.energy, abs=1e-12)


def _commuting_random_h(sym: PauliString, n: int, seed: int) -> PauliSum:
    rng = np.random.default_rng(seed)
    terms = []
    while len(terms) < 12:
        s = PauliString(tuple((w, "IXYZ"[rng.integers(4)]) for w in range(n)))
        if s.commutes(sym):
            terms.append((float(rng.normal()), s))
    return PauliSum.from_terms(terms)


@pytest.mark.parametrize("sym_text", ["X0 Y1 Z2 Y4", "Y0 Y1 Y2 Y3 Y4", "Z1 Z3", "X2"])
def test_sector_spectra_partition_full_spectrum(sym_text: str) -> None:
    """The union of both sectors' full spectra is the full spectrum (complex H, Y rotations)."""
    n = 5
    sym = PauliString.parse(sym_text)
    H = _commuting_random_h(sym, n, seed=len(sym_text))
    full = np.linalg.eigvalsh(H.to_matrix(n))
    parts = []
    for value in (1.0, -1.0):
        res = ground_state(H, n, k=2 ** (n - 1), sector=sym, sector_value=value)
        parts.append(res.energies)
        m = H.to_matrix(n)
        s = sym.to_matrix(n)
        np.testing.assert_allclose(m @ res.states, res.states * res.energies, atol=1e-10)
        np.testing.assert_allclose(s @ res.states, value * res.states, atol=1e-10)
        np.testing.assert_allclose(res.states.conj().T @ res.states, np.eye(2 ** (n - 1)), atol=1e-10)
    np.testing.assert_allclose(np.sort(np.concatenate(parts)), full, atol=1e-10)


def test_diagonal_sector_total_sz() -> None:
    n = 8
    H = heisenberg(n)
    sz = PauliSum.from_terms([(0.5, f"Z{i}") for i in range(n)])
    energies = {}
    for m in (0, 1, 2):
        res = ground_state(H, sector=sz, sector_value=m, k=2)
        energies[m] = res.energy
        # only basis states with magnetisation m carry weight
        support = np.flatnonzero(np.abs(res.state) > 1e-12)
        assert np.allclose(sz.diagonal(n)[support], m)
        assert residual(H, res) < 1e-8
    assert energies[0] == pytest.approx(-3.6510934089, abs=1e-9)
    assert energies[0] < energies[1] < energies[2]
    # sparse path gives the same, and the rotated Sx sector is degenerate with Sz (SU(2))
    sparse = ground_state(H, sector=sz, sector_value=1, dense_below=4)
    assert sparse.energy == pytest.approx(energies[1], abs=1e-9)
    sx = PauliSum.from_terms([(0.5, f"X{i}") for i in range(n)])
    assert ground_state(H, sector=sx, sector_value=1).energy == pytest.approx(energies[1], abs=1e-9)


def test_particle_number_sector() -> None:
    n = 6
    hop = PauliSum.from_terms(
        [(-0.5, f"X{i} X{i + 1}") for i in range(n - 1)] + [(-0.5, f"Y{i} Y{i + 1}") for i in range(n - 1)]
    )
    number = PauliSum.from_terms([(0.5, "I")] * n + [(-0.5, f"Z{i}") for i in range(n)])
    res = ground_state(hop, sector=number, sector_value=1)
    # one free fermion on an open chain of n sites: E = -2 cos(pi / (n + 1)) (hopping amplitude 1)
    assert res.energy == pytest.approx(-2 * np.cos(np.pi / (n + 1)), abs=1e-10)
    assert expval(number, res.state, n) == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("dense_below", [6, 3])  # projection (dense) and penalty (sparse) paths
def test_non_qubitwise_sector_total_spin(dense_below: int) -> None:
    n = 6
    H = heisenberg(n) + pauli("0.3 Z0 Z3 + 0.3 X0 X3 + 0.3 Y0 Y3")  # still SU(2) symmetric
    s = {a: PauliSum.from_terms([(0.5, f"{a}{i}") for i in range(n)]) for a in "XYZ"}
    s2 = s["X"] * s["X"] + s["Y"] * s["Y"] + s["Z"] * s["Z"]
    full = ground_state(H, k=1)
    ref = np.linalg.eigh(H.to_matrix(n))
    s2_full = s2.to_matrix(n)
    for spin in (0, 1):
        res = ground_state(H, sector=s2, sector_value=spin * (spin + 1), k=2, dense_below=dense_below)
        assert res.solver == ("dense" if dense_below >= n else "sparse+penalty")
        for j in range(2):
            psi = res.states[:, j]
            assert np.vdot(psi, s2_full @ psi).real == pytest.approx(spin * (spin + 1), abs=1e-8)
            assert residual(H, res, j) < 1e-7
        # the energies are eigenvalues of H itself, not of a penalised operator
        for e in res.energies:
            assert np.min(np.abs(ref.eigenvalues - e)) < 1e-9
    singlet = ground_state(H, sector=s2, sector_value=0.0, dense_below=dense_below)
    assert singlet.energy == pytest.approx(full.energy, abs=1e-9)


# ---------------------------------------------------------------------------------------
# solver paths, determinism, result object
# ---------------------------------------------------------------------------------------
def test_dense_and_sparse_agree_on_complex_hamiltonian() -> None:
    n = 7
    H = tfim(n, 0.8) + pauli("0.3 X0 Y1 - 0.2 Y2 Z3 X4 + 0.1 Y6")
    assert H.to_sparse().dtype == np.complex128
    dense = ground_state(H, k=3)
    sparse = ground_state(H, k=3, dense_below=3)
    assert (dense.solver, sparse.solver) == ("dense", "sparse")
    np.testing.assert_allclose(dense.energies, np.linalg.eigvalsh(H.to_matrix())[:3], atol=1e-10)
    np.testing.assert_allclose(sparse.energies, dense.energies, atol=1e-10)
    # non-degenerate levels: the phase convention makes the states identical
    np.testing.assert_allclose(sparse.states, dense.states, atol=1e-8)
    for j in range(3):
        assert residual(H, sparse, j) < 1e-8


def test_deterministic_output_and_phase() -> None:
    H = tfim(11, 0.7) + pauli("0.2 Y0 X3")
    a = ground_state(H, k=2)
    b = ground_state(H, k=2)
    np.testing.assert_array_equal(a.energies, b.energies)
    np.testing.assert_array_equal(a.states, b.states)
    for j in range(2):
        col = a.states[:, j]
        mags = np.abs(col)
        top = col[np.flatnonzero(mags >= mags.max() * (1 - 1e-6))[0]]  # first (near-)largest amplitude
        assert abs(top.imag) < 1e-12
        assert top.real > 0
        assert np.linalg.norm(col) == pytest.approx(1.0, abs=1e-12)


def test_result_object() -> None:
    res = ground_state(pauli("Z0 + 2 Z1"), k=3)
    assert isinstance(res, EDResult)
    np.testing.assert_allclose(res.energies, [-3.0, -1.0, 1.0])
    assert res.states.shape == (4, 3)
    assert res.states.dtype == np.complex128
    assert res.n_wires == 2
    assert res.sector is None
    assert res.energy == -3.0
    np.testing.assert_allclose(res.state, [0, 0, 0, 1])  # |11>: both spins down
    wide = ground_state(pauli("Z0"), n_wires=3, k=2)  # extra idle wires are degenerate
    assert wide.states.shape == (8, 2)
    np.testing.assert_allclose(wide.energies, [-1.0, -1.0])


def test_spectrum_gap() -> None:
    n, h = 8, 2.0
    H = tfim(n, h)
    ev = np.linalg.eigvalsh(H.to_matrix())
    assert spectrum_gap(H) == pytest.approx(ev[1] - ev[0], abs=1e-9)
    assert spectrum_gap(H, dense_below=4) == pytest.approx(ev[1] - ev[0], abs=1e-9)
    # within the even sector the gap is to the next even state
    even = ground_state(H, sector=parity(n), sector_value=1, k=2)
    assert spectrum_gap(H, sector=parity(n)) == pytest.approx(even.energies[1] - even.energies[0], abs=1e-12)


def test_logs_the_solver(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="qml.ed"):
        ground_state(tfim(4, 1.0))
        ground_state(tfim(4, 1.0), dense_below=2, sector=parity(4))
    text = caplog.text
    assert "dense solver" in text
    assert "sparse solver in sector" in text


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------
def test_error_non_commuting_symmetry() -> None:
    with pytest.raises(ValueError, match=r"Z0 does not commute with H \(i\[H, S\] contains"):
        ground_state(tfim(4, 1.0), sector="Z0")


def test_error_empty_sector() -> None:
    with pytest.raises(ValueError, match=r"sector .* = 0\.5 is empty: 0\.5 is not an eigenvalue"):
        ground_state(tfim(4, 1.0), sector=parity(4), sector_value=0.5)
    sz = PauliSum.from_terms([(0.5, f"Z{i}") for i in range(4)])
    with pytest.raises(ValueError, match=r"its eigenvalues are \[-2\.0, -1\.0, 0\.0, 1\.0, 2\.0\]"):
        ground_state(heisenberg(4), sector=sz, sector_value=3)


def test_error_empty_sector_general_symmetry() -> None:
    n = 4
    s = {a: PauliSum.from_terms([(0.5, f"{a}{i}") for i in range(n)]) for a in "XYZ"}
    s2 = s["X"] * s["X"] + s["Y"] * s["Y"] + s["Z"] * s["Z"]
    with pytest.raises(ValueError, match="is empty"):
        ground_state(heisenberg(n), sector=s2, sector_value=1.0)  # dense projection
    with pytest.raises(ValueError, match="could not isolate the sector"):
        ground_state(heisenberg(n), sector=s2, sector_value=1.0, dense_below=2)  # penalty


def test_error_arguments() -> None:
    with pytest.raises(ValueError, match=r"asked for k=5 states but .* dimension 4"):
        ground_state(tfim(3, 1.0), k=5, sector=parity(3))
    with pytest.raises(ValueError, match="n_wires must be >= 4"):
        ground_state(tfim(4, 1.0), n_wires=3)
    with pytest.raises(ValueError, match="k must be >= 1"):
        ground_state(tfim(4, 1.0), k=0)
    with pytest.raises(TypeError, match="k must be an int"):
        ground_state(tfim(4, 1.0), k=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sector_value must be a real number"):
        ground_state(tfim(4, 1.0), sector=parity(4), sector_value="+1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beyond exact diagonalisation"):
        ground_state(pauli("Z40"))


# -- spectrum: every sector, whole levels ---------------------------------------------------------
def _dense_levels(H, n, n_levels, tol=1e-8):
    vals = np.linalg.eigvalsh(H.to_matrix(n))
    levels, degs = [], []
    for v in vals:
        if levels and v - levels[-1] <= tol * max(1.0, abs(levels[-1])):
            degs[-1] += 1
        elif len(levels) < n_levels:
            levels.append(v)
            degs.append(1)
        else:
            break
    return np.array(levels), tuple(degs)


@pytest.mark.parametrize(
    ("H", "n"),
    [
        ("xxz_ferro", 8),
        ("heis7", 7),
        ("tfim_h0", 6),
        ("xy_gamma", 7),
        ("field", 8),
    ],
)
def test_spectrum_matches_full_dense_eigh(H, n):
    from qml.ed import spectrum
    from qml.problems import spins

    ops = {
        "xxz_ferro": spins.xxz(n, delta=-1.5),
        "heis7": spins.heisenberg(n),
        "tfim_h0": spins.tfim(n, h=0.0),
        "xy_gamma": spins.xy(n, gamma=0.5, h=0.3),
        "field": spins.xxz(n, delta=1.0, h=1.5),
    }
    sp = spectrum(ops[H], n, n_levels=3)
    levels, degs = _dense_levels(ops[H], n, 3)
    np.testing.assert_allclose(sp.levels, levels, atol=1e-10)
    assert sp.degeneracies == degs
    m = ops[H].to_matrix(n)
    np.testing.assert_allclose(sp.states.conj().T @ sp.states, np.eye(sp.states.shape[1]), atol=1e-10)
    np.testing.assert_allclose(m @ sp.states, sp.states * sp.energies, atol=1e-9)


def test_spectrum_reports_the_sectors_of_each_level():
    from qml.ed import spectrum
    from qml.problems import spins

    sp = spectrum(spins.xxz(8, delta=-1.5))
    assert sp.symmetry == "Sz"
    assert sp.sectors_solved == 9
    assert sp.sector_label() == "Sz in {-4, 4}"
    assert sp.degeneracies == (2,)
    tf = spectrum(spins.tfim(8, h=0.5), n_levels=2)
    assert (tf.symmetry, tf.sector_label(0), tf.sector_label(1)) == ("Px", "Px = 1", "Px = -1")
    full = spectrum(spins.tfim(6, h=0.5), symmetry=None, n_levels=2)
    assert full.symmetry is None
    assert full.sector_label() is None
    np.testing.assert_allclose(full.levels, spectrum(spins.tfim(6, h=0.5), n_levels=2).levels, atol=1e-10)


def test_spectrum_sparse_path_and_fixed_sector():
    from qml.ed import spectrum
    from qml.problems import spins

    H = spins.heisenberg(11)
    sp = spectrum(H, 11, n_levels=1, dense_below=8)  # Lanczos in each Sz sector
    assert sp.solver == "sparse"
    assert sp.degeneracies == (4,)
    dense = spectrum(H, 11, n_levels=1)
    assert abs(sp.energy - dense.energy) < 1e-10
    fixed = spectrum(H, 11, n_levels=1, sector=spins.total_z(11), sector_value=1.0)
    assert fixed.degeneracies == (2,)
    assert fixed.symmetry.endswith("= 1")


def test_spectrum_rejects_bad_arguments():
    from qml.ed import spectrum

    with pytest.raises(ValueError, match="n_levels must be >= 1"):
        spectrum("Z0 Z1", n_levels=0)
    with pytest.raises(ValueError, match="symmetry must be 'auto', None or an operator"):
        spectrum("Z0 Z1", symmetry=3)
    with pytest.raises(ValueError, match="does not commute with H"):
        spectrum("Z0 Z1 + X0", symmetry="Z0 + Z1")
    with pytest.raises(ValueError, match="not qubit-wise commuting"):
        spectrum("Z0 Z1 + X0 X1", symmetry="X0 X1 + Z0 Z1")


def test_dense_solver_falls_back_when_lapack_mrrr_fails(monkeypatch):
    """scipy's eigh(subset_by_index) (LAPACK evr) can raise 'Internal Error' on degenerate spectra."""
    import scipy.linalg

    from qml.ed import spectrum
    from qml.problems.spins import heisenberg

    expected = spectrum(heisenberg(4), 4, 2).levels

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("Internal Error.")

    monkeypatch.setattr(scipy.linalg, "eigh", broken)
    assert np.allclose(spectrum(heisenberg(4), 4, 2).levels, expected)


def test_ground_state_checks_memory_first(monkeypatch):
    from qml.problems.lattice import chain
    from qml.problems.spins import tfim
    from qml.sim.memory import SimulationMemoryError

    monkeypatch.setenv("QML_MEMORY_LIMIT", "64M")
    with pytest.raises(SimulationMemoryError, match="exact diagonalisation of 22 qubits needs about"):
        ground_state(tfim(chain(22), 1.0, 1.0), 22)
    assert ground_state(tfim(chain(8), 1.0, 1.0), 8).energy < 0  # small ones still run
