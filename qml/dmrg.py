"""DMRG ground states of 1D (and ladder) Hamiltonians with quimb, converged in the bond dimension.

:func:`pauli_mpo` turns any :class:`~qml.paulis.PauliSum` into a matrix-product operator,
exactly: a finite-state machine whose channels are the Pauli-string prefixes still open at
each bond (terms sharing a prefix share a channel; the coefficient sits on a string's last
site), so nearest- and next-nearest-neighbour chains, rings (the wrap-around bond is one long
string, carried by an open MPS) and two-leg ladders all work without special cases. Strings
with an even number of ``Y`` are real (``Y = i Y'``, ``Y' = [[0, -1], [1, 0]]``): a Hamiltonian
made only of those gets a real MPO and a real MPS.

:func:`dmrg` runs two-site DMRG (``quimb.tensor.DMRG2``) on a schedule of bond dimensions
(16, 32, 64, 128, 256 by default), each continuing from the last state, until the energy
changes by less than ``tol`` between consecutive bond dimensions (or the MPS stops growing:
then it is exact up to the truncation cutoff). The result keeps the energy per bond
dimension, the energy variance ``<H^2> - <H>^2`` of the final state (``|E - E_exact|`` is
at most ``sqrt(variance)`` for the nearest eigenvalue) and the MPS as plain NumPy site tensors
``(D_left, 2, D_right)`` in the package's wire order (site 0 = wire 0, physical index
``0``/``1`` = ``|0>``/``|1>``, the ``Z = +1``/``-1`` eigenstates), normalised;
:attr:`DMRGResult.state` is the same state as a :class:`qml.mps.MPS` for MPS-to-MPS
fidelities (:func:`qml.mps.fidelity`), entropies and correlations.

quimb is optional: ``pip install 'qml-circuits[dmrg]'``.

Threads: NumPy and SciPy each bundle their own OpenBLAS, and DMRG alternates between them
(contractions, then ARPACK) so fast that their spinning thread pools fight on a small machine:
the 64-site Heisenberg chain takes 9.5 s with ``OPENBLAS_NUM_THREADS=1`` and ~350 s with two
threads on two busy cores. Set ``OPENBLAS_NUM_THREADS=1`` (before Python starts) there.

Example:
    >>> from qml.problems.spins import heisenberg
    >>> res = dmrg(heisenberg(10, periodic=False), bond_dims=(16, 32), tol=1e-9)
    >>> round(res.energy, 8), res.bond_dims, len(res.tensors), res.tensors[0].shape[:2]
    (-4.25803521, (16, 32), 10, (1, 2))
"""

from __future__ import annotations

import itertools
import logging
import math
import numbers
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qml.errors import ConfigError, MissingExtraError
from qml.paulis import PauliString, PauliSum

if TYPE_CHECKING:
    from qml.mps import MPS

log = logging.getLogger(__name__)

__all__ = ["DMRG_BOND_DIMS", "DMRGResult", "dmrg", "pauli_mpo"]

#: Default bond-dimension schedule of :func:`dmrg`.
DMRG_BOND_DIMS: tuple[int, ...] = (16, 32, 64, 128, 256)

_REAL_OPS = {
    "I": np.eye(2),
    "X": np.array([[0.0, 1.0], [1.0, 0.0]]),
    "Y": np.array([[0.0, -1.0], [1.0, 0.0]]),  # Y' = -i Y: Y = i Y'
    "Z": np.array([[1.0, 0.0], [0.0, -1.0]]),
}
_COMPLEX_OPS = {**{k: v.astype(complex) for k, v in _REAL_OPS.items()}, "Y": np.array([[0, -1j], [1j, 0]])}


def _fix_autoray_namespaces() -> None:
    """Work around autoray 0.8.4 (pinned by PennyLane) caching every named backend's namespace as one.

    ``autoray.get_namespace("autoray.lazy")`` returns the namespace of whichever backend was
    named first (the cache key ignores the name; fixed in autoray 0.8.11), so cotengra's
    constant-folded contractions (quimb's DMRG effective Hamiltonian) get NumPy instead of
    the lazy backend and fail. cotengra's two references get a correctly keyed version;
    autoray itself is left alone.
    """
    import sys

    import autoray

    if autoray.get_namespace("numpy") is not autoray.get_namespace("autoray.lazy"):
        return  # a fixed autoray
    original = autoray.get_namespace
    cache: dict[tuple[Any, ...], Any] = {}

    def get_namespace(like: Any = None, device: Any = None, dtype: Any = None, submodule: Any = None) -> Any:
        if not isinstance(like, str):
            return original(like, device=device, dtype=dtype, submodule=submodule)
        key = (like, device, dtype, submodule)
        if key not in cache:
            cache[key] = autoray.autoray.AutoNamespace(
                like=like, device=device, dtype=dtype, submodule=submodule
            )
        return cache[key]

    for name in ("cotengra.contract", "cotengra.core"):
        module: Any = sys.modules.get(name)  # Any: we set an attribute ModuleType does not declare
        if module is not None and getattr(module, "get_namespace", None) is original:
            module.get_namespace = get_namespace


def _quimb() -> Any:
    try:
        import quimb.tensor as qtn
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] != "quimb":
            raise
        raise MissingExtraError("quimb", "dmrg", "DMRG") from None
    _fix_autoray_namespaces()
    return qtn


@dataclass(frozen=True, eq=False)
class DMRGResult:
    """A DMRG ground state and its convergence in the bond dimension.

    Attributes:
        energy: Energy of the final MPS.
        bond_dims: The bond dimensions run, in order.
        energies: Energy reached at each of them.
        max_bonds: Largest bond the MPS actually used at each (below the allowed one: the
            state is exact up to ``cutoff``).
        tensors: ``n`` site tensors ``(D_left, 2, D_right)`` (``D = 1`` at the ends) of the
            normalised final MPS, wire 0 first, physical index ``0``/``1`` = ``|0>``/``|1>``.
        converged: The energy changed by less than ``tol`` at the last doubling, or the MPS
            stopped growing.
        energy_change: ``|E(D_last) - E(D_previous)|`` (``None`` after a single bond dimension).
        variance: ``<H^2> - <H>^2`` of the final MPS (``None`` when not computed).
        sweeps: DMRG sweeps run in all.
        seconds: Wall time.
        stage_seconds: Wall time spent at each bond dimension.
        tol: The energy tolerance asked for.
        cutoff: The singular-value cutoff (discarded weight per bond) used.
        method: ``"dmrg"``.

    Example:
        >>> from qml.problems.spins import tfim
        >>> r = dmrg(tfim(6, h=1.0, periodic=False), bond_dims=(8,))   # 2^(6/2): exact
        >>> r.converged, r.energy_change is None, len(r.tensors)
        (True, True, 6)
    """

    energy: float
    bond_dims: tuple[int, ...]
    energies: tuple[float, ...]
    max_bonds: tuple[int, ...]
    tensors: tuple[np.ndarray, ...] = field(repr=False)
    converged: bool
    energy_change: float | None
    variance: float | None
    sweeps: int
    seconds: float
    tol: float
    cutoff: float
    stage_seconds: tuple[float, ...] = ()
    method: str = "dmrg"

    @property
    def state(self) -> MPS:
        """The final state as a :class:`qml.mps.MPS` (complex128 torch tensors, normalised).

        Example:
            >>> from qml.mps import fidelity
            >>> from qml.problems.spins import tfim
            >>> s = dmrg(tfim(6, periodic=False), bond_dims=(8,)).state
            >>> s.n_wires, round(float(fidelity(s, s)), 12)
            (6, 1.0)
        """
        import torch

        from qml.mps import MPS

        tensors = [torch.from_numpy(np.asarray(t, dtype=np.complex128)) for t in self.tensors]
        return MPS(tensors, max_bond=max(int(t.shape[2]) for t in tensors), center=None)

    @property
    def error_estimate(self) -> float:
        """Estimated ``|E - E0|``: the energy change at the last bond dimension (else ``sqrt(variance)``).

        The change overestimates the final error when the energy converges fast in ``D``;
        ``sqrt(variance)`` bounds the distance to the nearest eigenvalue (``inf`` without either).

        Example:
            >>> from qml.problems.spins import tfim
            >>> dmrg(tfim(12, periodic=False), bond_dims=(8, 16, 32)).error_estimate < 1e-6
            True
        """
        if self.energy_change is not None:
            return self.energy_change
        return math.inf if self.variance is None else math.sqrt(self.variance)

    def summary(self) -> str:
        """One line: energy, bond dimensions and the convergence measures.

        Example:
            >>> from qml.problems.spins import tfim
            >>> dmrg(tfim(6, periodic=False), bond_dims=(8, 16)).summary()[:20]
            'DMRG E = -7.29622981'
        """
        steps = ", ".join(f"D = {d}: {e:.12g}" for d, e in zip(self.bond_dims, self.energies))
        change = "n/a" if self.energy_change is None else f"{self.energy_change:.1e}"
        var = "n/a" if self.variance is None else f"{self.variance:.1e}"
        state = "converged" if self.converged else "NOT converged"
        return f"DMRG E = {self.energy:.12f} ({steps}); last change {change}, variance {var}, {state}"


# -- the MPO ------------------------------------------------------------------------------------
def _n_wires(H: PauliSum, n_wires: int | None) -> int:
    need = H.n_wires
    if n_wires is None:
        return max(need, 1)
    if isinstance(n_wires, bool) or not isinstance(n_wires, numbers.Integral) or n_wires < max(need, 1):
        raise ConfigError(
            f"n_wires must be an integer >= {max(need, 1)} (the Hamiltonian's width), got {n_wires!r}"
        )
    return int(n_wires)


def _mpo_arrays(H: PauliSum, n: int) -> tuple[list[np.ndarray], bool]:
    """Site tensors ``(D_left, D_right, 2, 2)`` (``W[a, b][s, s'] = <s|O|s'>``) of ``H``; real or not.

    Channel 0 is "nothing placed yet", channel 1 "a term is complete"; the other channels of
    bond ``b`` (between sites ``b`` and ``b + 1``) are the open prefixes (ops on sites up to
    ``b``) of strings that end after ``b``.
    """
    real = all(s.n_y % 2 == 0 for _, s in H.terms)
    ops = _REAL_OPS if real else _COMPLEX_OPS
    dtype = float if real else complex
    # channels[b]: prefix -> index at bond b (0 and 1 reserved)
    channels: list[dict[tuple[tuple[int, str], ...], int]] = [{} for _ in range(max(n - 1, 0))]
    entries: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in range(n)]
    for coef, s in H.terms:
        c = coef * (1j**s.n_y if real else 1.0)  # (i Y')^k: i^k is real (+-1) for even k
        c = c.real if real else c
        if s.is_identity:
            entries[0].append((0, 1, c * ops["I"]))
            continue
        d = s.as_dict()
        first, last = min(d), max(d)
        prefix: tuple[tuple[int, str], ...] = ()
        left = 0
        for site in range(first, last + 1):
            op = ops[d.get(site, "I")]
            prefix = (*prefix, (site, d.get(site, "I")))
            if site == last:
                entries[site].append((left, 1, c * op))
                break
            chans = channels[site]
            if prefix not in chans:
                chans[prefix] = len(chans) + 2
                entries[site].append((left, chans[prefix], op))
            left = chans[prefix]
    arrays = []
    for i in range(n):
        dl = 1 if i == 0 else len(channels[i - 1]) + 2
        dr = 1 if i == n - 1 else len(channels[i]) + 2
        w = np.zeros((dl, dr, 2, 2), dtype=dtype)
        if i > 0:
            w[1, min(1, dr - 1)] += ops["I"]  # complete stays complete
        if i < n - 1:
            w[0, 0] += ops["I"]  # nothing placed yet
        for a, b, op in entries[i]:
            a_ = 0 if i == 0 else a
            b_ = 0 if i == n - 1 else b
            w[a_, b_] += op
        arrays.append(w)
    return arrays, real


def pauli_mpo(H: PauliSum | PauliString | str, n_wires: int | None = None) -> Any:
    """``H`` as a quimb ``MatrixProductOperator`` (exact; wire 0 = site 0, ``|0>`` = index 0).

    Args:
        H: The Hamiltonian (any Pauli strings; real coefficients).
        n_wires: Number of sites (default: the Hamiltonian's width).

    Raises:
        ModuleNotFoundError: Without quimb (``pip install 'qml-circuits[dmrg]'``).

    Example:
        >>> import numpy as np
        >>> from qml.paulis import pauli
        >>> H = pauli("X0 Y2 - 0.5*Z1 + Y0 X1 X2")
        >>> mpo = pauli_mpo(H)
        >>> mpo.L, np.allclose(mpo.to_dense(), H.to_matrix())
        (3, True)
    """
    qtn = _quimb()
    op = PauliSum.coerce(H)
    n = _n_wires(op, n_wires)
    arrays, _ = _mpo_arrays(op, n)
    if n == 1:
        return qtn.MatrixProductOperator([arrays[0][0, 0]], shape="ud")
    shaped = [arrays[0][0], *arrays[1:-1], arrays[-1][:, 0]]
    return qtn.MatrixProductOperator(shaped, shape="lrud")


# -- MPS export -----------------------------------------------------------------------------------
def _site_tensors(mps: Any) -> tuple[np.ndarray, ...]:
    """``(D_left, 2, D_right)`` arrays of a quimb MPS, in site order."""
    qtn = _quimb()
    n = mps.L
    out = []
    for i in range(n):
        t = mps[i]
        left = tuple(qtn.bonds(mps[i - 1], t)) if i > 0 else ()
        right = tuple(qtn.bonds(t, mps[i + 1])) if i < n - 1 else ()
        data = t.transpose(*left, mps.site_ind(i), *right).data
        a = np.asarray(data)
        if not left:
            a = a[None]
        if not right:
            a = a[..., None]
        out.append(np.ascontiguousarray(a))
    return tuple(out)


# -- DMRG -----------------------------------------------------------------------------------------
def _check_dims(bond_dims: Sequence[int]) -> tuple[int, ...]:
    dims = tuple(bond_dims)
    if not dims or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1 for d in dims):
        raise ConfigError(f"bond_dims must be a non-empty sequence of integers >= 1, got {bond_dims!r}")
    if any(b <= a for a, b in itertools.pairwise(dims)):
        raise ConfigError(f"bond_dims must increase, got {dims}")
    return tuple(int(d) for d in dims)


def _sandwich(tensors: Sequence[np.ndarray], mpo: Sequence[np.ndarray], power: int) -> complex:
    """``<psi|H^power|psi>`` (``power`` 1 or 2) for MPS site tensors ``(D, 2, D)`` and MPO ``(w, w, 2, 2)``.

    Contracted site by site through an environment ``(D, w, [w,] D)``: linear in the sites.
    """
    dtype = np.result_type(*tensors, *mpo)
    env = np.ones((1,) * (power + 2), dtype=dtype)
    for a, w in zip(tensors, mpo):  # pairwise contractions: optimize=True hands them to BLAS
        if power == 1:
            t = np.einsum("awb,asr->wbsr", env, a, optimize=True)
            t = np.einsum("wbsr,wpus->brup", t, w, optimize=True)
            env = np.einsum("brup,but->rpt", t, np.conj(a), optimize=True)
        else:
            t = np.einsum("axyb,asr->xybsr", env, a, optimize=True)
            t = np.einsum("xybsr,xpms->ybrpm", t, w, optimize=True)
            t = np.einsum("ybrpm,yqum->brpqu", t, w, optimize=True)
            env = np.einsum("brpqu,but->rpqt", t, np.conj(a), optimize=True)
    return complex(env.reshape(-1)[0])


def dmrg(
    H: PauliSum | PauliString | str,
    n_wires: int | None = None,
    *,
    bond_dims: Sequence[int] = DMRG_BOND_DIMS,
    tol: float = 1e-9,
    cutoff: float = 1e-12,
    max_sweeps: int = 20,
    sweep_tol: float | None = None,
    variance: bool = True,
    seed: int = 0,
    local_eig_tol: float = 1e-3,
) -> DMRGResult:
    """The ground state of ``H`` by two-site DMRG, converged in the bond dimension.

    Runs :class:`quimb.tensor.DMRG2` at each bond dimension of ``bond_dims`` in turn
    (each from the previous state) until the energy changes by less than ``tol`` from
    the previous bond dimension, or the MPS no longer fills the allowed bond dimension
    (exact up to ``cutoff``). Efficient for chains, rings (treated as open chains with
    one long bond: they need about the square of a chain's bond dimension) and ladders;
    any Hamiltonian works, but 2D lattices need exponentially large bonds.

    Args:
        H: The Hamiltonian.
        n_wires: Number of sites (default: the Hamiltonian's width).
        bond_dims: Increasing bond dimensions to try.
        tol: Absolute energy change between consecutive bond dimensions that counts as
            converged.
        cutoff: Discarded weight per bond allowed in the truncations.
        max_sweeps: Largest number of sweeps at one bond dimension.
        sweep_tol: Energy change between sweeps that ends one bond dimension (default
            ``tol / 10``).
        variance: Also compute ``<H^2> - <H>^2`` of the final state (one extra contraction).
        seed: Seed of the random initial MPS.

    Returns:
        A :class:`DMRGResult` (``converged=False`` and a warning in the log when the last bond
        dimension was reached first).

    Raises:
        ModuleNotFoundError: Without quimb (``pip install 'qml-circuits[dmrg]'``).
        ValueError: For bad bond dimensions or tolerances.

    Example:
        >>> from qml.problems.spins import heisenberg
        >>> r = dmrg(heisenberg(8, periodic=True), bond_dims=(8, 16, 32))
        >>> round(r.energy, 8), r.converged
        (-3.65109341, True)
    """
    qtn = _quimb()
    op = PauliSum.coerce(H)
    n = _n_wires(op, n_wires)
    dims = _check_dims(bond_dims)
    for name, value in (("tol", tol), ("cutoff", cutoff)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, numbers.Integral) or max_sweeps < 1:
        raise ConfigError(f"max_sweeps must be an integer >= 1, got {max_sweeps!r}")
    if n < 2:
        raise ConfigError(f"DMRG needs at least 2 sites, got {n}; use qml.ed for one qubit")
    stol = float(tol) / 10 if sweep_tol is None else float(sweep_tol)
    t0 = time.perf_counter()
    arrays, real = _mpo_arrays(op, n)
    dtype = "float64" if real else "complex128"
    mpo = qtn.MatrixProductOperator([arrays[0][0], *arrays[1:-1], arrays[-1][:, 0]], shape="lrud")
    p0 = qtn.MPS_rand_state(n, bond_dim=min(dims[0], 2 ** (n // 2)), phys_dim=2, seed=seed, dtype=dtype)
    solver = qtn.DMRG2(mpo, bond_dims=dims[0], cutoffs=float(cutoff), p0=p0)
    solver.opts["local_eig_tol"] = local_eig_tol
    energies: list[float] = []
    used: list[int] = []
    run: list[int] = []
    stage: list[float] = []
    converged = False
    sweeps = 0
    for d in dims:
        t_stage = time.perf_counter()
        before = len(solver.energies)
        solver.solve(tol=stol, bond_dims=d, cutoffs=float(cutoff), max_sweeps=max_sweeps, verbosity=0)
        sweeps += len(solver.energies) - before
        e = float(np.real(solver.energy))
        run.append(d)
        energies.append(e)
        used.append(int(solver.state.max_bond()))
        stage.append(time.perf_counter() - t_stage)
        log.info(
            "dmrg: D = %d (used %d): E = %.12f, %d sweeps in all, %.1f s", d, used[-1], e, sweeps, stage[-1]
        )
        if used[-1] < d or d >= 2 ** (n // 2):  # not filled, or the full space: exact up to the cutoff
            converged = True
            break
        if len(energies) > 1 and abs(energies[-1] - energies[-2]) < tol:
            converged = True
            break
    state = solver.state
    state.normalize()
    tensors = _site_tensors(state)
    change = abs(energies[-1] - energies[-2]) if len(energies) > 1 else None
    var = None
    if variance:
        e = _sandwich(tensors, arrays, 1).real
        var = max(_sandwich(tensors, arrays, 2).real - e * e, 0.0)
    seconds = time.perf_counter() - t0
    if not converged:
        log.warning(
            "dmrg on %d sites not converged at bond dimension %d: last energy change %s; "
            "give larger bond_dims",
            n,
            run[-1],
            "n/a" if change is None else f"{change:.2e}",
        )
    return DMRGResult(
        energy=energies[-1],
        bond_dims=tuple(run),
        energies=tuple(energies),
        max_bonds=tuple(used),
        tensors=tensors,
        converged=converged,
        energy_change=change,
        variance=var,
        sweeps=sweeps,
        seconds=seconds,
        tol=float(tol),
        cutoff=float(cutoff),
        stage_seconds=tuple(stage),
    )
