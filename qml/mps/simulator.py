"""The MPS simulator: :class:`MPSSimulator` runs circuits as matrix-product states.

Its methods mirror :class:`qml.Simulator`: ``expval``, ``state`` (dense, for checks) and
``run`` (the :class:`~qml.mps.state.MPS` itself), with the same shapes for weights,
inputs and results. Weights and inputs become gate angles through the circuit's compiled
angle map (:meth:`qml.sim.program.Program.angles`), and every gate matrix comes from
:func:`qml.gates.op_matrix`, so everything is differentiable in the weights by autograd.

A batch of weights or inputs runs row by row (one MPS per row: tensors of different
rows would need different bond dimensions); batching pays little next to the SVDs.

Truncation: bonds keep at most ``bond_dim`` singular values and drop those below
``cutoff`` times their norm. Each run records the discarded weight;
:meth:`MPSSimulator.expval_with_error` returns it with every expectation value, with a
rigorous bound on the error it causes.

Gradients: while autograd records (weights or inputs that require grad), a circuit first
runs without any truncation, keeping zero singular values: those are the directions the
derivative of a low-rank state (a product state, zero angles) points to, so the gradient
is exact there too. Where ``bond_dim`` is too small for that, the run restarts in
canonical form with the cutoff, and the gradient is that of the truncated state (exact at
generic points). Values are the same either way; see :mod:`qml.mps.evolve`. A circuit
that once filled ``bond_dim`` in a gradient run goes straight to the canonical run from then
on with this simulator (an optimisation of a deep circuit would otherwise pay for the
aborted try at every step).

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    >>> w = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    >>> e = MPSSimulator(bond_dim=2).expval(c, "Z0 Z1 + Z1", w)
    >>> e.backward()
    >>> round(e.item(), 6), round(w.grad.item(), 6)  # 1 + cos(0.3), -sin(0.3)
    (1.955336, -0.29552)
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from qml.backends.base import Prepared, prepare
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.mps import measure
from qml.mps.evolve import Truncation, evolve
from qml.mps.state import MAX_DENSE_WIRES, MPS
from qml.paulis import ObservableLike
from qml.sim.memory import check_bytes
from qml.sim.program import compile_circuit

Tensor = torch.Tensor
log = logging.getLogger(__name__)

_DTYPES = (torch.complex64, torch.complex128)
#: Default relative singular-value cutoff per dtype (above the precision's rounding noise).
DEFAULT_CUTOFFS: dict[torch.dtype, float] = {torch.complex128: 1e-12, torch.complex64: 1e-6}
#: Circuits a simulator remembers as filling ``bond_dim`` (their gradient runs skip the untruncated try).
_MAX_REMEMBERED = 256
#: Discarded weight above which a run logs a warning (values are then approximate).
WARN_TRUNCATION = 1e-3


@dataclass(frozen=True)
class MPSExpectation:
    """Expectation values of an MPS run together with what truncation did to them.

    Attributes:
        values: Shaped like :meth:`MPSSimulator.expval` returns them (differentiable).
        truncation_error: Discarded weight of each run: ``(B,)``, or a scalar when unbatched
            (see :attr:`qml.mps.MPS.truncation_error`).
        error_bound: Upper bound on ``|value - exact value|``, shaped like ``values``:
            ``2 * sum_k |c_k| * sin(theta)`` over the non-constant terms ``c_k P_k``, where
            ``theta`` bounds the angle between the MPS and the exact state
            (:meth:`qml.mps.MPS.error_bound`). 0 when nothing was truncated.
        max_bond: Largest bond dimension reached (over all rows).

    Example:
        >>> from qml.ir import Circuit
        >>> bell = Circuit(2).add("H", 0).add("CNOT", (0, 1))
        >>> r = MPSSimulator(bond_dim=1).expval_with_error(bell, "Z0 Z1")
        >>> round(float(r.truncation_error), 6), float(r.values), round(float(r.error_bound), 6)
        (0.5, 1.0, 1.414214)
    """

    values: Tensor
    truncation_error: Tensor
    error_bound: Tensor
    max_bond: int


def _bond_bounds(circuit: Circuit, chi: int) -> list[int]:
    """Upper bounds ``D_0 .. D_n`` of the bond dimensions (``D_0 = D_n = 1``; see ``memory_estimate``)."""
    from qml.gates import GATES

    n = circuit.n_wires
    log_rank = [0.0] * (n + 1)  # log2 of the Schmidt rank the gates can build across bond k
    for op in circuit.ops:
        lo, hi = min(op.wires), max(op.wires)
        if hi == lo:
            continue
        spec = GATES[op.name]
        gain = 1.0 if len(op.wires) == 2 and spec.kind in ("ctrl", "diag") else 2.0 * (len(op.wires) - 1)
        for k in range(lo + 1, hi + 1):
            log_rank[k] += gain
    out = []
    for k in range(n + 1):
        e = min(k, n - k, log_rank[k], 62)
        out.append(int(min(chi, 2 ** math.ceil(e))))
    return out


@dataclass(frozen=True)
class MPSSimulator:
    """Matrix-product-state simulator settings; methods run circuits (see the module docstring).

    Args:
        bond_dim: Most singular values kept per bond (>= 1); ``2**(n // 2)`` is exact.
        cutoff: Singular values below ``cutoff`` times the norm of their bond's values are
            dropped (in ``[0, 1)``); default :data:`DEFAULT_CUTOFFS` by dtype (``1e-12`` in
            complex128, ``1e-6`` in complex64, whose rounding noise of ~1e-7 would otherwise
            fill every bond to ``bond_dim``).
        dtype: ``torch.complex128`` (default) or ``torch.complex64``.
        device: ``"cpu"``, ``"cuda"``, ... (the same code runs on all).
        svd_eps: Broadening of the SVD backward pass (default: ``1e-12`` in double and
            ``1e-8`` in single precision, see :mod:`qml.mps.svd`).

    Raises:
        ValueError: For ``bond_dim < 1``, a cutoff outside ``[0, 1)``, another dtype or an
            unknown device.

    Example:
        >>> from qml.ir import Circuit
        >>> MPSSimulator(bond_dim=4).state(Circuit(2).add("X", 1)).real.tolist()
        [0.0, 1.0, 0.0, 0.0]
    """

    bond_dim: int = 64
    cutoff: float | None = None
    dtype: torch.dtype = torch.complex128
    device: str | torch.device = "cpu"
    svd_eps: float | None = None
    _fills: set[tuple[int, int, int]] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        b = self.bond_dim
        if isinstance(b, bool) or not isinstance(b, numbers.Integral) or b < 1:
            raise ConfigError(
                f"bond_dim must be an integer >= 1 (the most singular values kept per bond, e.g. 64), "
                f"got {b!r}"
            )
        if self.dtype not in _DTYPES:
            raise ConfigError(
                "dtype must be torch.complex64 or torch.complex128 (MPS tensors are complex), "
                f"got {self.dtype!r}"
            )
        if self.cutoff is None:
            object.__setattr__(self, "cutoff", DEFAULT_CUTOFFS[self.dtype])
        c = self.cutoff
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not 0 <= c < 1:
            raise ConfigError(
                f"cutoff must be a number in [0, 1) (singular values below cutoff * norm are dropped, "
                f"e.g. 1e-12), got {c!r}"
            )
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ConfigError(
                f"device must be a torch device such as 'cpu' or 'cuda', got {self.device!r}"
            ) from None
        if self.svd_eps is not None and not self.svd_eps >= 0:
            raise ConfigError(f"svd_eps must be >= 0 (e.g. 1e-12), got {self.svd_eps!r}")

    def memory_estimate(self, circuit: Circuit, rows: int, gradients: bool) -> int:
        """An upper bound on the bytes a run of ``rows`` parameter rows holds: each row's MPS
        and, for gradients, what autograd keeps per gate (a two-site tensor and its SVD factors,
        about ``12 D^2`` entries at a bond of dimension ``D``; one site tensor for a one-qubit gate;
        two states padded to ``bond_dim``). Measured against the peak RSS of such runs (HEA,
        n = 32-128, 2-12 layers, bond_dim 32-64): 1.0-1.9x above it.

        Bond ``k`` is bounded by ``bond_dim``, by ``2**min(k, n - k)`` and by the Schmidt rank
        the circuit's gates across it can build (2 for controlled and diagonal two-qubit gates,
        4 for others, per gate), so shallow circuits are not charged ``bond_dim`` everywhere.

        Example:
            >>> from qml.ir import Circuit
            >>> MPSSimulator(bond_dim=4).memory_estimate(Circuit(3).add("H", 0), 1, False)
            96
        """
        bonds = _bond_bounds(circuit, int(self.bond_dim))
        n = circuit.n_wires
        per_row = sum(2 * bonds[k] * bonds[k + 1] for k in range(n))
        if gradients:
            chi = int(self.bond_dim)
            per_row += 4 * n * chi * chi  # the gradient runs pad every bond to bond_dim (two states)
            for op in circuit.ops:
                lo, hi = min(op.wires), max(op.wires)
                if hi == lo:
                    per_row += 2 * bonds[lo] * bonds[lo + 1]
                else:
                    d = max(bonds[lo : hi + 2])
                    per_row += 12 * d * d * (hi - lo)  # routed through swaps: one split per bond
        return rows * per_row * self.dtype.itemsize

    # -- execution ----------------------------------------------------------------------
    def _runs(
        self, circuit: Circuit, observables: Any, weights: Any, inputs: Any
    ) -> tuple[Prepared, list[MPS]]:
        prep = prepare(circuit, observables, weights, inputs)
        dev = torch.device(self.device)
        angles = compile_circuit(circuit).angles(prep.weights.to(dev), prep.inputs.to(dev))
        grad = torch.is_grad_enabled() and angles.requires_grad
        need = self.memory_estimate(circuit, prep.batch, grad)
        check_bytes(
            need,
            f"an MPS run of {circuit.n_wires} qubits (bond_dim={self.bond_dim}, {prep.batch} rows"
            + (", with gradients)" if grad else ")"),
            f"a smaller bond_dim (now {self.bond_dim}) or batch (now {prep.batch}), or dtype=complex64",
            dev,
        )
        key = (id(circuit), len(circuit.ops), circuit.n_wires)
        first = grad and key not in self._fills  # an untruncated try only while it may succeed
        assert self.cutoff is not None  # set in __post_init__
        trunc = Truncation(int(self.bond_dim), float(self.cutoff), for_gradients=first, eps=self.svd_eps)
        runs = []
        for b in range(prep.batch):
            mps = evolve(circuit, angles[b], trunc, self.dtype, dev)
            if grad and mps.max_bond >= self.bond_dim and len(self._fills) < _MAX_REMEMBERED:
                self._fills.add(key)
            log.debug(
                "MPS run of %d wires: max bond %d, discarded weight %.3g",
                circuit.n_wires,
                mps.max_bond,
                mps.truncation_error,
            )
            if mps.truncation_error > WARN_TRUNCATION:
                log.warning(
                    "bond_dim=%d truncates a %d-wire circuit: discarded weight %.3g, so expectation values "
                    "are approximate; raise bond_dim for exact ones",
                    self.bond_dim,
                    circuit.n_wires,
                    mps.truncation_error,
                )
            runs.append(mps)
        return prep, runs

    def run(self, circuit: Circuit, weights: Any = None, inputs: Any = None) -> MPS | list[MPS]:
        """The final matrix-product state (a list of them, one per row, for batched arguments).

        Args:
            circuit: The circuit.
            weights: ``(n_weights,)`` or ``(B, n_weights)``.
            inputs: ``(n_inputs,)`` or ``(B, n_inputs)``.

        Example:
            >>> from qml.ir import Circuit
            >>> mps = MPSSimulator(bond_dim=8).run(Circuit(3).add("H", 0).add("CNOT", (0, 2)))
            >>> mps.bond_dims(), mps.truncation_error
            ([2, 2], 0.0)
        """
        prep, runs = self._runs(circuit, "I", weights, inputs)
        return runs if prep.batched else runs[0]

    def state(self, circuit: Circuit, weights: Any = None, inputs: Any = None) -> Tensor:
        """The normalised statevector ``(2**n,)`` or ``(B, 2**n)``, ordered like :meth:`qml.Simulator.state`.

        For checks on small circuits: at most :data:`qml.mps.state.MAX_DENSE_WIRES` wires.

        Raises:
            ValueError: For a circuit wider than that.

        Example:
            >>> from qml.ir import Circuit
            >>> psi = MPSSimulator().state(Circuit(2).add("H", 0).add("CNOT", (0, 1)))
            >>> psi.real.round(decimals=4).tolist()
            [0.7071, 0.0, 0.0, 0.7071]
        """
        if isinstance(circuit, Circuit) and circuit.n_wires > MAX_DENSE_WIRES:
            raise ConfigError(
                f"state() builds 2**n amplitudes and takes at most {MAX_DENSE_WIRES} wires, the circuit has "
                f"{circuit.n_wires}: use run() for the MPS or expval() for observables"
            )
        prep, runs = self._runs(circuit, "I", weights, inputs)
        psi = torch.stack([m.to_dense(normalize=True) for m in runs])
        return psi if prep.batched else psi[0]

    def expval_with_error(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
    ) -> MPSExpectation:
        """Expectation values with the truncation error of each run and a bound on their error.

        Args:
            circuit: The circuit.
            observables: One observable (PauliSum, PauliString or text) or a list of them.
            weights: ``(n_weights,)`` or ``(B, n_weights)``.
            inputs: ``(n_inputs,)`` or ``(B, n_inputs)``.

        Returns:
            An :class:`MPSExpectation`; ``values`` as :meth:`expval` returns them.

        Example:
            >>> from qml.ir import Circuit
            >>> r = MPSSimulator().expval_with_error(Circuit(2).add("H", 0), ["X0", "Z1"])
            >>> r.values.tolist(), float(r.truncation_error), r.error_bound.tolist()
            ([1.0, 1.0], 0.0, [0.0, 0.0])
        """
        prep, runs = self._runs(circuit, observables, weights, inputs)
        obs = list(prep.observables)
        values = torch.stack([measure.expval(m, obs) for m in runs])  # (B, n_obs)
        real = values.dtype
        trunc = torch.tensor([m.truncation_error for m in runs], dtype=torch.float64)
        sines = torch.tensor([m.error_bound() for m in runs], dtype=torch.float64)
        scale = torch.tensor([2 * o.l1_norm(include_constant=False) for o in obs], dtype=torch.float64)
        bound = sines[:, None] * scale[None, :]
        dev = values.device
        return MPSExpectation(
            values=prep.shape(values),
            truncation_error=(trunc if prep.batched else trunc[0]).to(dev, real),
            error_bound=prep.shape(bound).to(dev, real),
            max_bond=max(m.max_bond for m in runs),
        )

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
    ) -> Tensor:
        """Expectation values ``<psi|O|psi> / <psi|psi>``, differentiable by autograd.

        The truncation error is not part of the tensor: use :meth:`expval_with_error` to see
        it (a run that truncates much also logs a warning).

        Args:
            circuit: The circuit.
            observables: One observable (PauliSum, PauliString or text) or a list of them.
            weights: ``(n_weights,)`` or ``(B, n_weights)``.
            inputs: ``(n_inputs,)`` or ``(B, n_inputs)``.

        Returns:
            ``(B, n_obs)`` for a list of observables, ``(B,)`` for one; without the batch
            axis when neither weights nor inputs are batched.

        Example:
            >>> import torch
            >>> from qml.ir import Circuit, W
            >>> c = Circuit(3).add("RY", 0, W(0)).add("CNOT", (0, 2))
            >>> e = MPSSimulator(bond_dim=2).expval(c, ["Z0 Z2", "Z2"], torch.tensor([[0.0], [torch.pi]]))
            >>> e.round(decimals=6).tolist()
            [[1.0, 1.0], [1.0, -1.0]]
        """
        return self.expval_with_error(circuit, observables, weights, inputs).values


__all__ = ["DEFAULT_CUTOFFS", "WARN_TRUNCATION", "MPSExpectation", "MPSSimulator"]
