"""Conditional circuits: models mapping a Hamiltonian parameter ``lambda`` to a ground-state circuit.

A :class:`HamiltonianFamily` is an affine family ``H(lambda) = H_0 + sum_k lambda_k H_k``
(the TFIM field ``h``, the meta-VQE anisotropy ``Delta``...), built from the problem
registry with :meth:`HamiltonianFamily.from_problem`; its exact references are the
problem's sector-resolved ones (the TFIM in the parity sector ``P = +1``).

Three model kinds map ``lambda`` (scalar or vector) to circuit parameters:

* :class:`MLPConditional`: a small MLP ``lambda -> theta`` for a fixed ansatz (e.g. the
  problem's HVA); the batch axis of the simulation is ``lambda`` (weights ``(B, P)``).
* :class:`EncodedConditional` (meta-VQE, Cervera-Lierta et al. 2021): ``lambda`` is a
  circuit INPUT (``X(j)`` references in the first, encoding layers, e.g.
  ``RY(w_a * lambda + w_b)``), followed by trainable layers; one shared weight vector,
  inputs ``(B, F)``. :func:`metavqe_circuit` builds the published layout and
  :func:`encode_ansatz` turns any ansatz into one whose angles are trainable polynomials
  of ``lambda``.
* :class:`InterpolationBaseline`: per-point VQE (:func:`qml.optimize.vqe`) at the training
  ``lambda`` values, interpolated component-wise (cubic spline or linear).

Training minimises the mean energy over a batch of ``lambda`` values in ONE batched
simulation: ``<H_0>, <H_1>, ...`` are evaluated as separate observables in the same pass and
combined per row as ``E = <H_0> + sum_k lambda_k <H_k>`` (no labels are needed, so dense
unlabelled ``lambda`` batches are allowed); an optional energy-variance term
``<H^2> - <H>^2`` (its pieces are again fixed observables) pushes towards eigenstates.

Branches (symmetry sectors). ``branches`` is an optional ``(S, F_b)`` table of fixed
circuit inputs, e.g. the basis state a number-conserving circuit starts from, one row per
magnetisation sector. Every ``lambda`` is then evaluated on every branch (``B * S`` rows of
the same simulation), every branch is trained, and predictions take the lowest-energy
branch. This follows ground states through level crossings between sectors (the meta-VQE
XXZ chain in a field changes magnetisation four times for ``Delta`` in ``[-1.1, 1.1]``),
which a single smooth map ``lambda -> theta`` cannot.

Warm start. With few labelled points, :meth:`MLPConditional.warm_start` first regresses the
MLP onto per-point VQE solutions (found with continuation, so they lie on one smooth
branch of parameters); the energy training afterwards only refines. This helps when the
parameter landscape has many equivalent optima (HVA angles) that a cold MLP could mix up
between ``lambda`` values. Measured on the periodic TFIM, N = 12, HVA with 6 layers, 200
L-BFGS steps on 31 values of ``h``: from a warm start (6 per-point VQEs, ~9 s) the mean
fidelity on 40 held-out ``h`` is 0.99996 (min 0.9998); from a cold start only 0.995 (min
0.985). For the meta-VQE XXZ family with sector branches a cold start works (see
:mod:`qml.predict`), because per-point VQE in the hardest sector is expensive.

Example:
    >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
    >>> model = MLPConditional(fam.ansatz(2), fam, hidden=(8,), lam_range=(0.0, 2.0), seed=0)
    >>> model.energy(torch.tensor([0.5, 1.5])).shape
    torch.Size([2])
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
import torch
from torch import nn

from qml.errors import ConfigError, ConfigTypeError
from qml.ir import Circuit, Factor, Op, Param, W, X
from qml.models.layer import complex_dtype
from qml.optimize.optimizers import torch_optimizer
from qml.paulis import PauliString, PauliSum
from qml.sim.simulator import Simulator

if TYPE_CHECKING:
    from qml.problems.problem import ExactResult, Problem

log = logging.getLogger(__name__)

Tensor = torch.Tensor
LamLike = float | Sequence[float] | Sequence[Sequence[float]] | np.ndarray | Tensor
#: Optimisers of :meth:`ConditionalModel.fit`.
CONDITIONAL_OPTIMIZERS: tuple[str, ...] = ("lbfgs", "adam")
#: How branches enter the training loss (see :meth:`ConditionalModel.loss`).
BRANCH_LOSSES: tuple[str, ...] = ("mean", "min")


def _versions() -> dict[str, str]:
    from qml.optimize.results import versions

    return versions()


# -- the Hamiltonian family ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HamiltonianFamily:
    """An affine Hamiltonian family ``H(lambda) = base + sum_k lambda_k terms[k]``.

    Build it from the registry with :meth:`from_problem` (then exact references are the
    problem's, sector-resolved), or directly from operators (then references come from
    exact diagonalisation in ``sector``).

    Attributes:
        base: ``H_0``.
        terms: ``(H_1, ..., H_K)``.
        names: Parameter names (``("h",)``).
        n_wires: Number of qubits.
        problem: Registry name, or ``None`` for a custom family.
        fixed: The fixed registry parameters (``{"n": 12}``).
        sector: For custom families: symmetry operator of the reference sector.
        sector_value: Its eigenvalue.

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
        >>> str(fam.hamiltonian(0.5))
        '-0.5*X0 - 0.5*X1 - 0.5*X2 - Z0 Z1 - Z0 Z2 - Z1 Z2'
    """

    base: PauliSum
    terms: tuple[PauliSum, ...]
    names: tuple[str, ...]
    n_wires: int
    problem: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    sector: PauliSum | PauliString | None = None
    sector_value: float = 1.0
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_problem(cls, name: str, params: str | Sequence[str], **fixed: Any) -> HamiltonianFamily:
        """The family of a registry problem in the parameter(s) ``params``, others fixed.

        ``H_0 = H(0)`` and ``H_k = H(e_k) - H(0)``; affinity is verified at a generic point.

        Args:
            name: Registry name (``"tfim"``, ``"metavqe"``...).
            params: The varying parameter name, or several.
            **fixed: The other problem parameters (``n=12``, ``lam=0.75``...).

        Raises:
            ValueError: For an unknown problem or parameter, or a non-affine dependence.

        Example:
            >>> fam = HamiltonianFamily.from_problem("metavqe", "delta", n=4, lam=0.75)
            >>> fam.names, len(fam.terms[0])
            (('delta',), 4)
        """
        from qml.problems import get_problem
        from qml.problems.registry import check_param_names

        check_param_names(name)
        names = (params,) if isinstance(params, str) else tuple(params)
        if not names:
            raise ConfigError("params is empty; name the varying parameter, e.g. 'h'")
        check_param_names(name, ("varying", names))
        for p in names:
            if p in fixed:
                raise ConfigError(f"{p!r} is the varying parameter; do not also fix it")

        def H(values: Sequence[float]) -> PauliSum:
            return get_problem(name, **fixed, **{p: float(v) for p, v in zip(names, values)}).hamiltonian

        zero = H([0.0] * len(names))
        terms = []
        for k in range(len(names)):
            unit = [0.0] * len(names)
            unit[k] = 1.0
            terms.append((H(unit) - zero).simplify())
        probe = [0.37 + 0.41 * k for k in range(len(names))]
        combo = zero + sum((v * t for v, t in zip(probe, terms)), PauliSum(()))
        if not H(probe).allclose(combo, atol=1e-10):
            raise ConfigError(
                f"{name} is not affine in {names}: H(lambda) != H(0) + sum lambda_k (H(e_k) - H(0)); "
                "conditional models need H(lambda) = H_0 + sum_k lambda_k H_k"
            )
        n = get_problem(name, **fixed, **{p: 1.0 for p in names}).n_wires
        return cls(zero.simplify(), tuple(terms), names, n, name, dict(fixed))

    @property
    def n_params(self) -> int:
        """Number of family parameters ``K``.

        Example:
            >>> HamiltonianFamily.from_problem("metavqe", ["delta", "lam"], n=4).n_params
            2
        """
        return len(self.terms)

    def as_lams(self, lams: LamLike, dtype: torch.dtype = torch.float64) -> Tensor:
        """``lambda`` values as a ``(B, K)`` tensor (a scalar or ``(B,)`` for ``K = 1``).

        Raises:
            ValueError: For a shape that does not match ``K``.

        Example:
            >>> HamiltonianFamily.from_problem("tfim", "h", n=3).as_lams([0.1, 0.2]).shape
            torch.Size([2, 1])
        """
        t = (
            lams.detach().to(dtype)
            if isinstance(lams, Tensor)
            else torch.as_tensor(np.asarray(lams, dtype=float), dtype=dtype)
        )
        K = self.n_params
        if t.dim() == 0:
            t = t.reshape(1, 1)
        elif t.dim() == 1:
            t = t.reshape(-1, 1) if K == 1 else t.reshape(1, -1)
        if t.dim() != 2 or t.shape[1] != K or t.shape[0] == 0:
            raise ConfigError(
                f"lambda must be a scalar or shape (B,) for one parameter, or (B, {K}) for {K} parameters "
                f"{self.names}; got shape {tuple(t.shape)}"
            )
        if not torch.isfinite(t).all():
            raise ConfigError("lambda values must be finite")
        return t

    def _key(self, lam: Sequence[float]) -> tuple[float, ...]:
        return tuple(round(float(v), 12) for v in lam)

    def hamiltonian(self, lam: float | Sequence[float]) -> PauliSum:
        """``H(lambda)`` as a Pauli sum.

        Example:
            >>> HamiltonianFamily.from_problem("tfim", "h", n=2, periodic=False).hamiltonian(2.0).n_wires
            2
        """
        row = self.as_lams(lam)[0].tolist()
        return (self.base + sum((v * t for v, t in zip(row, self.terms)), PauliSum(()))).simplify()

    def problem_at(self, lam: float | Sequence[float]) -> Problem:
        """The :class:`~qml.problems.Problem` at ``lambda`` (cached).

        Example:
            >>> HamiltonianFamily.from_problem("tfim", "h", n=4).problem_at(0.5).label()
            'tfim(n=4, h=0.5)'
        """
        row = self.as_lams(lam)[0].tolist()
        key = ("problem", self._key(row))
        if key not in self._cache:
            if self.problem is not None:
                from qml.problems import get_problem

                values = {p: float(v) for p, v in zip(self.names, row)}
                prob = get_problem(self.problem, **self.fixed, **values)
            else:
                from qml.problems.problem import Problem

                label = ", ".join(f"{p}={v:g}" for p, v in zip(self.names, row))
                prob = Problem(
                    name="family",
                    hamiltonian=self.hamiltonian(row),
                    n_wires=self.n_wires,
                    params=dict(zip(self.names, row)),
                    description=f"family at {label}",
                    sector=self.sector,
                    sector_value=self.sector_value,
                    info={"shown": []},
                )
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = prob
        return self._cache[key]

    def exact(self, lam: float | Sequence[float], levels: int = 2) -> ExactResult:
        """The exact reference at ``lambda``, all sectors scanned (:meth:`Problem.exact`, cached).

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
            >>> round(fam.exact(1.0).energy, 6), fam.exact(1.0).sector
            (-5.226252, 'Px = 1')
        """
        return self.problem_at(lam).exact(levels)

    def observables(self) -> list[PauliSum]:
        """``[H_0, H_1, ..., H_K]``, measured together and combined by :meth:`combine`.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=2, periodic=False)
            >>> [str(o) for o in fam.observables()]
            ['-Z0 Z1', '-X0 - X1']
        """
        return [self.base, *self.terms]

    def combine(self, values: Tensor, lams: Tensor) -> Tensor:
        """Energies ``<H_0> + sum_k lambda_k <H_k>`` per row from ``values (B, 1 + K)`` and ``lams (B, K)``.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=2, periodic=False)
            >>> fam.combine(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5]])).tolist()
            [2.0]
        """
        return values[:, 0] + (values[:, 1:] * lams.to(values.dtype)).sum(dim=1)

    def square_observables(self) -> list[PauliSum]:
        """``{H_a, H_b} / 2`` for ``a <= b`` (the pieces of ``H(lambda)^2``), for energy variances.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> len(fam.square_observables())  # H0^2, {H0, H1}/2, H1^2
            3
        """
        obs = self.observables()
        return [obs[a].anticommutator(obs[b]) * 0.5 for a in range(len(obs)) for b in range(a, len(obs))]

    def combine_square(self, values: Tensor, lams: Tensor) -> Tensor:
        """``<H(lambda)^2>`` per row from the expectation values of :meth:`square_observables`.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> vals, lam = torch.tensor([[1.0, 0.5, 2.0]]), torch.tensor([[2.0]])
            >>> fam.combine_square(vals, lam).tolist()  # 1 + 2 * 2 * 0.5 + 2**2 * 2
            [11.0]
        """
        coeff = torch.cat([torch.ones_like(lams[:, :1]), lams], dim=1).to(values.dtype)
        n = coeff.shape[1]
        out = torch.zeros(values.shape[0], dtype=values.dtype, device=values.device)
        col = 0
        for a in range(n):
            for b in range(a, n):
                out = out + (1.0 if a == b else 2.0) * coeff[:, a] * coeff[:, b] * values[:, col]
                col += 1
        return out

    def ansatz(
        self, layers: int | None = None, kind: str | None = None, at: float | Sequence[float] | None = None
    ) -> Circuit:
        """The problem's natural ansatz built at a generic point (default ``lambda_k = 1``).

        The circuit is the same for every ``lambda`` (its angles absorb the coefficients),
        so one circuit serves the whole family: for the TFIM, the HVA of ``-ZZ - X``.

        Raises:
            ValueError: For a custom family (pass a circuit explicitly).

        Example:
            >>> HamiltonianFamily.from_problem("tfim", "h", n=4).ansatz(2).n_weights
            4
        """
        if self.problem is None:
            raise ConfigError("a custom family has no registry ansatz; build a circuit from qml.templates")
        point = [1.0] * self.n_params if at is None else self.as_lams(at)[0].tolist()
        return self.problem_at(point).ansatz(layers, kind)

    def label(self) -> str:
        """``tfim(n=12; h)`` for tables.

        Example:
            >>> HamiltonianFamily.from_problem("tfim", "h", n=4).label()
            'tfim(n=4; h)'
        """
        fixed = ", ".join(f"{k}={v}" for k, v in self.fixed.items())
        return f"{self.problem or 'family'}({fixed}; {', '.join(self.names)})"


# -- circuit helpers ------------------------------------------------------------------------------
def bind_inputs(circuit: Circuit, values: Sequence[float], first: int = 0) -> Circuit:
    """Substitute constants for the inputs ``X(first), ..., X(first + len(values) - 1)``.

    Weights are untouched; remaining inputs are renumbered down by ``len(values)``.

    Example:
        >>> c = Circuit(1).add("RX", 0, 2.0 * X(0) + W(0))
        >>> str(bind_inputs(c, [0.5]).ops[0].params[0])
        '1 + w0'
    """
    vals = [float(v) for v in values]
    lo, hi = first, first + len(vals)

    def bind(p: Param) -> Param:
        out = Param(p.const)
        for coeff, refs in p.terms:
            c = coeff
            kept: list[Factor] = []
            for s, i in refs:
                if s == "x" and lo <= i < hi:
                    c *= vals[i - lo]
                elif s == "x" and i >= hi:
                    kept.append((s, i - len(vals)))
                else:
                    kept.append((s, i))
            out = out + (Param(c) if not kept else Param(0.0, ((c, tuple(kept)),)))
        return out

    ops = tuple(Op(op.name, op.wires, tuple(bind(p) for p in op.params), op.matrix) for op in circuit.ops)
    n_in = max(0, circuit.n_inputs - len(vals))
    return Circuit(circuit.n_wires, ops, circuit.n_weights, n_in, circuit.name)


def encode_ansatz(circuit: Circuit, n_lambda: int = 1, degree: int = 1, first_input: int = 0) -> Circuit:
    """Make every weight of an ansatz a trainable polynomial of the inputs ``lambda``.

    Weight ``W(i)`` becomes ``W(i) + sum_k sum_{d=1..degree} W(.) * x_k^d`` with inputs
    ``x_k = X(first_input + k)``: the meta-VQE linear encoding for ``degree=1``
    (``theta = a + b * lambda``), applied to all layers. The circuit's own inputs are kept
    and shifted after the ``lambda`` inputs unless ``first_input`` says otherwise.

    Weight layout: the original ``P`` weights first (the ``lambda = 0`` angles), then the
    coefficients in order ``(i, k, d)``.

    Example:
        >>> c = Circuit(1).add("RY", 0, W(0))
        >>> e = encode_ansatz(c, degree=2)
        >>> e.n_weights, e.n_inputs, str(e.ops[0].params[0])
        (3, 1, 'w0 + w1*x0 + w2*x0*x0')
    """
    if isinstance(n_lambda, bool) or not isinstance(n_lambda, int) or n_lambda < 1:
        raise ConfigError(f"n_lambda must be an integer >= 1, got {n_lambda!r}")
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
        raise ConfigError(f"degree must be an integer >= 1, got {degree!r}")
    P = circuit.n_weights
    shift = circuit.shift_indices(0, n_lambda) if circuit.n_inputs and first_input == 0 else circuit

    def coef(i: int, k: int, d: int) -> int:
        return P + (i * n_lambda + k) * degree + (d - 1)

    def encode(p: Param) -> Param:
        out = Param(p.const)
        for c, refs in p.terms:
            term = Param(0.0, ((c, refs),))
            ws = [i for s, i in refs if s == "w"]
            if len(ws) == 1 and len(refs) == 1:
                i = ws[0]
                poly = W(i)
                for k in range(n_lambda):
                    xk = X(first_input + k)
                    power = xk
                    for d in range(1, degree + 1):
                        poly = poly + W(coef(i, k, d)) * power
                        power = power * xk
                term = poly * c
            out = out + term
        return out

    ops = tuple(Op(op.name, op.wires, tuple(encode(p) for p in op.params), op.matrix) for op in shift.ops)
    n_in = max(shift.n_inputs, first_input + n_lambda)
    name = (circuit.name or "ansatz") + "_encoded"
    return Circuit(circuit.n_wires, ops, P + P * n_lambda * degree, n_in, name)


def metavqe_circuit(
    n_wires: int,
    encoding_layers: int = 2,
    processing_layers: int = 4,
    n_lambda: int = 1,
    pattern: str = "circular",
) -> Circuit:
    """The meta-VQE circuit of Cervera-Lierta, Kottmann and Aspuru-Guzik (2021).

    Encoding layers: on every wire ``RY(w_a lambda + w_b)`` and ``RZ(w_c lambda + w_d)``
    (summed over the components of a vector ``lambda``), then CNOTs; processing layers:
    ``RY(w) RZ(w)`` on every wire and CNOTs (the hardware-efficient ansatz). Inputs:
    ``X(k)`` is ``lambda_k``.

    Example:
        >>> c = metavqe_circuit(4, encoding_layers=1, processing_layers=1)
        >>> c.n_inputs, c.n_weights
        (1, 32)
    """
    from qml.templates import entangler_pairs, hardware_efficient

    for name, v in (("n_wires", n_wires), ("n_lambda", n_lambda)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {v!r}")
    for name, v in (("encoding_layers", encoding_layers), ("processing_layers", processing_layers)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ConfigError(f"{name} must be an integer >= 0, got {v!r}")
    pairs = entangler_pairs(n_wires, pattern) if n_wires > 1 else []
    c = Circuit(n_wires, n_inputs=n_lambda, name="metavqe")
    k = 0
    for _ in range(encoding_layers):
        for w in range(n_wires):
            for gate in ("RY", "RZ"):
                angle = W(k)
                for j in range(n_lambda):
                    angle = angle + W(k + 1 + j) * X(j)
                k += 1 + n_lambda
                c = c.add(gate, w, angle)
        for pair in pairs:
            c = c.add("CNOT", pair)
    if processing_layers:
        c = (
            c.then(hardware_efficient(n_wires, processing_layers, ("RY", "RZ"), "CNOT", pattern))
            if n_wires > 1
            else c.then(Circuit(1).add("RY", 0, W(0)).add("RZ", 0, W(1)))
        )
    return Circuit(n_wires, c.ops, c.n_weights, n_lambda, "metavqe")


def u1_circuit(n_wires: int, layers: int, periodic: bool = True, pairs: bool = True) -> Circuit:
    """A number-conserving brickwork ansatz started from a basis state read from the inputs.

    Wire ``j`` starts with ``RX(pi * x_j)`` (input ``X(j)`` in ``{0, 1}`` selects the basis
    state, i.e. the magnetisation sector: use these rows as ``branches``). With ``pairs``, a
    trainable Givens rotation (``SingleExcitation``) on each pair ``(0, 1), (2, 3), ...``
    follows, which can turn a pair with one excitation into a singlet (dimer starts, close
    to antiferromagnetic ground states). Each layer then applies
    on the even then the odd bonds ``exp(-i t (XX + YY) / 2)`` (``RXX(t) RYY(t)``) and
    ``RZZ(u)`` with individual angles, then ``RZ`` on every wire: all gates conserve
    ``sum Z``, so the state stays in the sector of its basis state.

    Example:
        >>> c = u1_circuit(4, 1)
        >>> c.n_inputs, c.n_weights  # 2 pair rotations + 4 bonds x 2 + 4 RZ
        (4, 14)
    """
    if isinstance(n_wires, bool) or not isinstance(n_wires, int) or n_wires < 2:
        raise ConfigError(f"n_wires must be an integer >= 2, got {n_wires!r}")
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise ConfigError(f"layers must be an integer >= 1, got {layers!r}")
    c = Circuit(n_wires, n_inputs=n_wires, name="u1_brickwork")
    for w in range(n_wires):
        c = c.add("RX", w, X(w, math.pi))
    k = 0
    if pairs:
        for a in range(0, n_wires - 1, 2):
            c = c.add("SingleExcitation", (a, a + 1), W(k))
            k += 1
    last = n_wires if periodic and n_wires > 2 else n_wires - 1
    for _ in range(layers):
        for start in (0, 1):
            for a in range(start, last, 2):
                b = (a + 1) % n_wires
                c = c.add("RXX", (a, b), W(k)).add("RYY", (a, b), W(k)).add("RZZ", (a, b), W(k + 1))
                k += 2
        for w in range(n_wires):
            c = c.add("RZ", w, W(k))
            k += 1
    return c


def sector_branches(n_wires: int, counts: Sequence[int] | None = None) -> Tensor:
    """Basis states, one per number of ones ``k`` (magnetisation ``sum Z = n - 2k``), as branch inputs.

    The ``k`` ones are spread evenly over the wires. Use with :func:`u1_circuit`.

    Example:
        >>> sector_branches(4, [1, 2]).tolist()
        [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]]
    """
    ks = list(range(n_wires + 1)) if counts is None else [int(k) for k in counts]
    rows = []
    for k in ks:
        if not 0 <= k <= n_wires:
            raise ConfigError(f"a sector needs 0 <= k <= n_wires={n_wires} ones, got {k}")
        row = [0.0] * n_wires
        for j in range(k):
            row[(j * n_wires) // k] = 1.0
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64)


# -- records ------------------------------------------------------------------------------------
@dataclass
class ConditionalHistory:
    """Training record of a conditional model.

    Attributes:
        losses: Loss of every evaluation.
        n_steps: Optimiser iterations.
        seconds: Wall time.
        seed: Seed of the run.
        settings: Optimiser, steps, lr, batch of ``lambda``...
        versions: Package versions.

    Example:
        >>> ConditionalHistory(losses=[1.0, 0.5]).final_loss
        0.5
    """

    losses: list[float] = field(default_factory=list)
    n_steps: int = 0
    seconds: float = 0.0
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def final_loss(self) -> float | None:
        """The last recorded loss (``None`` before any evaluation)."""
        return self.losses[-1] if self.losses else None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form.

        Example:
            >>> ConditionalHistory(seed=4).to_dict()["seed"]
            4
        """
        return asdict(self)


@dataclass
class PerPointResult:
    """Per-point VQE solutions along ``lambda`` (one weight vector per point and branch).

    Attributes:
        lams: ``(T, K)`` the points, in the order solved.
        weights: ``(T, S, P)`` optimal weights (``S = 1`` without branches).
        energies: ``(T, S)`` their energies.
        seconds: Wall time.
        seed: Seed.
        n_evals: Circuit evaluations in total.

    Example:
        >>> r = PerPointResult(torch.zeros(2, 1), torch.zeros(2, 1, 3), torch.zeros(2, 1))
        >>> r.best_weights().shape
        torch.Size([2, 3])
    """

    lams: Tensor
    weights: Tensor
    energies: Tensor
    seconds: float = 0.0
    seed: int = 0
    n_evals: int = 0

    def best_weights(self) -> Tensor:
        """``(T, P)`` weights of the lowest-energy branch at each point (see the class example)."""
        idx = self.energies.argmin(dim=1)
        return self.weights[torch.arange(self.weights.shape[0]), idx]


def per_point_vqe(
    family: HamiltonianFamily,
    circuit: Circuit,
    lams: LamLike,
    *,
    branches: Tensor | None = None,
    optimizer: str = "lbfgs",
    steps: int = 300,
    seed: int = 0,
    init: str | Tensor | Sequence[float] | None = None,
    continuation: bool = True,
    restarts: int = 1,
    simulator: Simulator | None = None,
    tol: float | None = None,
    callback: Callable[[int, int, Any], Any] | None = None,
) -> PerPointResult:
    """VQE at each ``lambda`` (with :func:`qml.optimize.vqe`), optionally on every branch.

    With ``continuation`` each point starts from the previous optimum of the same branch, so
    the solutions lie on one smoothly connected branch of parameters (what interpolation
    and warm starts need). Points are solved in the order given.

    Args:
        family: The Hamiltonian family.
        circuit: The ansatz; with ``branches`` its first ``F_b`` inputs are the branch inputs.
        lams: ``(T,)`` or ``(T, K)`` points.
        branches: Optional ``(S, F_b)`` branch inputs (see the module docstring).
        optimizer: Optimiser of :func:`qml.optimize.vqe`.
        steps: Iterations per point.
        seed: Seed of the initial weights of the first point.
        init: Initial weights of the first point, or a strategy of
            :func:`qml.templates.init_weights` (default: the problem's initialisation).
        continuation: Warm-start every point from the previous one.
        restarts: Restarts of the first point of each branch.
        simulator: Simulator settings.
        tol: Optimiser tolerance.
        callback: ``callback(done, total, result)`` after each VQE (``total``: points x branches;
            ``result``: its :class:`~qml.optimize.VQEResult`).

    Returns:
        A :class:`PerPointResult`.

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
        >>> r = per_point_vqe(fam, fam.ansatz(2), [0.5, 1.0], steps=100)
        >>> r.weights.shape
        torch.Size([2, 1, 4])
    """
    from qml.optimize import vqe

    t0 = time.perf_counter()
    L = family.as_lams(lams)
    rows = [None] if branches is None else [r for r in _branch_table(branches, circuit)]
    T, S, P = L.shape[0], len(rows), circuit.n_weights
    weights = torch.zeros(T, S, P, dtype=torch.float64)
    energies = torch.zeros(T, S, dtype=torch.float64)
    n_evals = 0
    for s, row in enumerate(rows):
        bound = circuit if row is None else bind_inputs(circuit, row.tolist())
        if bound.n_inputs:
            raise ConfigError(
                f"the circuit reads {bound.n_inputs} inputs besides the branch inputs; per-point VQE needs a "
                "circuit of weights only (bind the lambda inputs or use EncodedConditional)"
            )
        first: Any = init
        if init is not None and not isinstance(init, str):
            first = torch.as_tensor(init, dtype=torch.float64)
        w = first
        for t in range(T):
            lam = L[t].tolist()
            res = vqe(
                family.problem_at(lam),
                optimizer,
                steps,
                seed=seed,
                init=w,
                ansatz=bound,
                exact=False,
                restarts=restarts if (t == 0 or not continuation) else 1,
                simulator=simulator,
                tol=tol,
                log_every=10**9,
            )
            weights[t, s] = res.weights
            energies[t, s] = res.energy
            n_evals += res.n_evals
            w = res.weights if continuation else first
            log.info(
                "per-point VQE %s=%s branch %d: energy %.10g (%d evaluations)",
                family.names,
                lam,
                s,
                res.energy,
                res.n_evals,
            )
            if callback is not None:
                callback(s * T + t + 1, S * T, res)
    return PerPointResult(L, weights, energies, time.perf_counter() - t0, seed, n_evals)


def _branch_table(branches: Any, circuit: Circuit) -> Tensor:
    b = (
        branches.detach().to(torch.float64)
        if isinstance(branches, Tensor)
        else torch.as_tensor(np.asarray(branches, dtype=float))
    )
    if b.dim() != 2 or b.shape[0] < 1:
        raise ConfigError(f"branches must be a (S, F_b) table of circuit inputs, got shape {tuple(b.shape)}")
    if b.shape[1] > circuit.n_inputs:
        raise ConfigError(
            f"branches have {b.shape[1]} inputs but the circuit reads only {circuit.n_inputs}; the branch "
            "inputs are the circuit's first inputs"
        )
    return b


# -- models ---------------------------------------------------------------------------------------
@dataclass
class Prediction:
    """Predicted ground states along ``lambda``.

    Attributes:
        lams: ``(B, K)``.
        energies: ``(B,)`` predicted energies ``<psi|H(lambda)|psi>``.
        states: ``(B, 2**n)`` complex statevectors (``(B, 0)`` when the model simulates by MPS
            and the register is wider than :data:`qml.mps.state.MAX_DENSE_WIRES`).
        branch: ``(B,)`` index of the chosen branch (0 without branches).
        mps: With ``Simulator(method="mps")``: the ``B`` predicted states as
            :class:`qml.mps.MPS` (any width); ``None`` for the statevector.

    Example:
        >>> z = torch.zeros(1, dtype=torch.long)
        >>> p = Prediction(torch.zeros(1, 1), torch.zeros(1), torch.ones(1, 2), z)
        >>> p.energies.shape
        torch.Size([1])
    """

    lams: Tensor
    energies: Tensor
    states: Tensor
    branch: Tensor
    mps: list[Any] | None = None


class ConditionalModel(nn.Module):
    """Base class: ``lambda -> (weights, inputs)`` of a fixed circuit, energies in one batched pass.

    Subclasses implement :meth:`circuit_args`. Parameters are float64 by default
    (complex128 simulation); ``.float()`` switches to complex64.

    Args:
        circuit: The circuit.
        family: The Hamiltonian family.
        simulator: Simulator settings (dtype and device follow the module's parameters).
        branches: Optional ``(S, F_b)`` table of branch inputs (the circuit's first inputs).
        lam_range: ``(lo, hi)`` (or one pair per parameter) mapped to ``[-1, 1]`` before
            entering the model; default: set from the first :meth:`fit` call.

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
        >>> MLPConditional(fam.ansatz(1), fam, hidden=(4,)).kind
        'mlp'
    """

    kind: ClassVar[str] = "base"
    # buffers (register_buffer), declared for type checkers
    branches: Tensor
    lam_lo: Tensor
    lam_hi: Tensor
    range_set: Tensor

    def __init__(
        self,
        circuit: Circuit,
        family: HamiltonianFamily,
        simulator: Simulator | None = None,
        branches: Tensor | Sequence[Sequence[float]] | None = None,
        lam_range: Sequence[float] | Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(circuit, Circuit):
            raise ConfigTypeError(f"circuit must be a qml Circuit, got {type(circuit).__name__}")
        if not isinstance(family, HamiltonianFamily):
            raise ConfigTypeError(f"family must be a HamiltonianFamily, got {type(family).__name__}")
        if family.n_wires > circuit.n_wires:
            raise ConfigError(
                f"the Hamiltonian acts on {family.n_wires} wires but the circuit has {circuit.n_wires}"
            )
        self.circuit = circuit
        self.family = family
        self.simulator = simulator if simulator is not None else Simulator()
        K = family.n_params
        b = None if branches is None else _branch_table(branches, circuit)
        self.register_buffer("branches", b if b is not None else torch.zeros(1, 0, dtype=torch.float64))
        lo, hi = self._range(lam_range, K)
        self.register_buffer("lam_lo", lo)
        self.register_buffer("lam_hi", hi)
        self.register_buffer("range_set", torch.tensor(lam_range is not None))

    @staticmethod
    def _range(lam_range: Any, K: int) -> tuple[Tensor, Tensor]:
        if lam_range is None:
            return -torch.ones(K, dtype=torch.float64), torch.ones(K, dtype=torch.float64)
        r = torch.as_tensor(np.asarray(lam_range, dtype=float), dtype=torch.float64).reshape(-1, 2)
        if r.shape[0] == 1 and K > 1:
            r = r.expand(K, 2)
        if r.shape[0] != K or not bool((r[:, 1] > r[:, 0]).all()):
            raise ConfigError(
                f"lam_range must be (lo, hi) with hi > lo, or one such pair per parameter ({K})"
            )
        return r[:, 0].clone(), r[:, 1].clone()

    # -- shapes and dtypes -------------------------------------------------------------------
    @property
    def n_branches(self) -> int:
        """Number of branches ``S`` (1 without branches).

        Example:
            >>> fam = HamiltonianFamily.from_problem("metavqe", "delta", n=4, lam=0.75)
            >>> MLPConditional(u1_circuit(4, 1), fam, (4,), branches=sector_branches(4, [2, 3])).n_branches
            2
        """
        return int(self.branches.shape[0])

    @property
    def branch_width(self) -> int:
        """Number of branch inputs ``F_b`` (see :attr:`n_branches`)."""
        return int(self.branches.shape[1])

    def _dtype(self) -> torch.dtype:
        for p in self.parameters():
            return p.dtype
        return self.lam_lo.dtype

    def _device(self) -> torch.device:
        return self.lam_lo.device

    def current_simulator(self) -> Simulator:
        """The simulator with this model's dtype and device.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, (4,)).float().current_simulator().dtype
            torch.complex64
        """
        import dataclasses

        return dataclasses.replace(self.simulator, dtype=complex_dtype(self._dtype()), device=self._device())

    def lams(self, lams: LamLike) -> Tensor:
        """``lambda`` as ``(B, K)`` in the model's dtype and device.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, (4,)).lams([0.1, 0.2]).shape
            torch.Size([2, 1])
        """
        return self.family.as_lams(lams).to(dtype=self._dtype(), device=self._device())

    def normalize(self, lams: Tensor) -> Tensor:
        """Map ``lam_range`` to ``[-1, 1]``.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> m = MLPConditional(fam.ansatz(1), fam, (4,), lam_range=(0.0, 2.0))
            >>> m.normalize(torch.tensor([[0.0], [1.5]], dtype=torch.float64)).tolist()
            [[-1.0], [0.5]]
        """
        lo, hi = self.lam_lo.to(lams.dtype), self.lam_hi.to(lams.dtype)
        return 2.0 * (lams - lo) / (hi - lo) - 1.0

    def set_range(self, lams: LamLike) -> None:
        """Set ``lam_range`` from the extent of ``lams`` (done by the first :meth:`fit` if unset).

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> m = MLPConditional(fam.ansatz(1), fam, (4,))
            >>> m.set_range([0.5, 1.5]); m.lam_lo.tolist(), m.lam_hi.tolist()
            ([0.5], [1.5])
        """
        L = self.family.as_lams(lams)
        lo, hi = L.min(dim=0).values, L.max(dim=0).values
        hi = torch.where(hi > lo, hi, lo + 1.0)
        self.lam_lo.copy_(lo)
        self.lam_hi.copy_(hi)
        self.range_set.fill_(True)

    # -- the map -------------------------------------------------------------------------------
    def circuit_args(self, lams: Tensor) -> tuple[Tensor, Tensor | None]:
        """``(weights, inputs)`` for the ``B * S`` rows (row ``b * S + s``: ``lambda_b`` on branch ``s``).

        Weights are ``(B * S, P)`` or ``(P,)``; inputs ``(B * S, F)`` or ``None``. ``lams`` is
        ``(B, K)`` in the model's dtype (see :meth:`lams`). Subclasses implement it.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> m = MLPConditional(fam.ansatz(1), fam, (4,))
            >>> w, x = m.circuit_args(m.lams([0.5, 1.0]))
            >>> w.shape, x is None
            (torch.Size([2, 2]), True)
        """
        raise NotImplementedError

    def _branch_inputs(self, B: int, dtype: torch.dtype) -> Tensor | None:
        if self.branch_width == 0:
            return None
        return self.branches.to(dtype).repeat(B, 1)  # (B * S, F_b), row b * S + s

    def _rows(self, lams: Tensor) -> Tensor:
        return lams.repeat_interleave(self.n_branches, dim=0)

    def expvals(self, lams: LamLike, observables: Sequence[PauliSum] | None = None) -> Tensor:
        """``(B, S, n_obs)`` expectation values of ``observables`` (default ``[H_0, ..., H_K]``), one pass.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, (4,)).expvals([0.5, 1.0, 1.5], ["X0", "Z0 Z1"]).shape
            torch.Size([3, 1, 2])
        """
        L = self.lams(lams)
        obs = self.family.observables() if observables is None else list(observables)
        w, x = self.circuit_args(L)
        vals = self.current_simulator().expval(self.circuit, obs, w, x)
        if vals.dim() == 1:
            vals = vals.reshape(1, -1)
        if vals.shape[0] == 1 and L.shape[0] * self.n_branches > 1:
            vals = vals.expand(L.shape[0] * self.n_branches, -1)
        return vals.reshape(L.shape[0], self.n_branches, len(obs))

    def branch_energies(self, lams: LamLike) -> Tensor:
        """``(B, S)`` energies ``<H(lambda)>`` on every branch.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, (4,)).branch_energies([0.5, 1.0]).shape
            torch.Size([2, 1])
        """
        L = self.lams(lams)
        v = self.expvals(L)
        B, S, n = v.shape
        return self.family.combine(v.reshape(B * S, n), self._rows(L)).reshape(B, S)

    def energy(self, lams: LamLike) -> Tensor:
        """``(B,)`` predicted energies (the lowest branch).

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, hidden=(4,)).energy(0.5).shape
            torch.Size([1])
        """
        return self.branch_energies(lams).min(dim=1).values

    def loss(self, lams: LamLike, variance_weight: float = 0.0, branch_loss: str = "mean") -> Tensor:
        """Mean energy over ``lambda`` (+ ``variance_weight`` times the mean energy variance).

        Args:
            lams: The batch of ``lambda`` values.
            variance_weight: Weight of ``<H^2> - <H>^2``.
            branch_loss: How branches enter: ``"mean"`` trains every branch on every
                ``lambda``; ``"min"`` only the lowest branch of each ``lambda`` (use it to
                refine after a ``"mean"`` phase: capacity goes where a branch is the ground state).

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> m = MLPConditional(fam.ansatz(1), fam, (4,))
            >>> bool(m.loss([0.5, 1.0], variance_weight=1.0) >= m.loss([0.5, 1.0]))
            True
        """
        if branch_loss not in BRANCH_LOSSES:
            raise ConfigError(
                f"unknown branch_loss {branch_loss!r}; valid choices: {', '.join(BRANCH_LOSSES)}"
            )
        L = self.lams(lams)
        B, S = L.shape[0], self.n_branches
        if not variance_weight:
            E = self.branch_energies(L)
            return E.mean() if branch_loss == "mean" else E.min(dim=1).values.mean()
        obs = self.family.observables()
        sq = self.family.square_observables()
        v = self.expvals(L, obs + sq)
        flat = v.reshape(B * S, -1)
        rows = self._rows(L)
        e = self.family.combine(flat[:, : len(obs)], rows)
        var = (self.family.combine_square(flat[:, len(obs) :], rows) - e**2).clamp_min(0.0)
        total = (e + float(variance_weight) * var).reshape(B, S)
        if branch_loss == "mean":
            return total.mean()
        pick = e.reshape(B, S).argmin(dim=1)
        return total[torch.arange(B), pick].mean()

    def predict(self, lams: LamLike) -> Prediction:
        """Energies and statevectors (best branch per ``lambda``), without gradients.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, hidden=(4,)).predict([0.5, 1.0]).states.shape
            torch.Size([2, 8])
        """
        with torch.no_grad():
            L = self.lams(lams)
            E = self.branch_energies(L)
            best = E.argmin(dim=1)
            w, x = self.circuit_args(L)
            sim = self.current_simulator()
            if sim.mps is not None:
                return self._predict_mps(sim, L, E, best, w, x)
            psi = sim.state(self.circuit, w, x)
            if psi.dim() == 1:
                psi = psi.reshape(1, -1).expand(L.shape[0] * self.n_branches, -1)
            psi = psi.reshape(L.shape[0], self.n_branches, -1)[torch.arange(L.shape[0]), best]
            return Prediction(L, E.min(dim=1).values, psi, best)

    def _predict_mps(
        self, sim: Simulator, L: Tensor, E: Tensor, best: Tensor, w: Tensor, x: Any
    ) -> Prediction:
        """:meth:`predict` with ``method="mps"``: one MPS per ``lambda`` (its best branch)."""
        from qml.mps.state import MAX_DENSE_WIRES

        B, S = L.shape[0], self.n_branches
        rows = torch.arange(B, device=best.device) * S + best

        def pick(t: Any) -> Any:
            if t is None or t.dim() == 1:
                return t
            return t[rows] if t.shape[0] == B * S else t.expand(B * S, -1)[rows]

        rw, rx = pick(w), pick(x)
        if rw is not None and rw.dim() == 1:
            rw = rw.expand(B, -1)
        runs = sim.mps.run(self.circuit, rw, rx)
        runs = runs if isinstance(runs, list) else [runs] * B
        if self.circuit.n_wires <= MAX_DENSE_WIRES:
            states = torch.stack([m.to_dense(normalize=True) for m in runs])
        else:
            states = torch.zeros(B, 0, dtype=sim.dtype)
        return Prediction(L, E.min(dim=1).values, states, best, runs)

    # -- training ----------------------------------------------------------------------------
    def fit(
        self,
        lams: LamLike,
        steps: int = 200,
        optimizer: str = "lbfgs",
        lr: float | None = None,
        seed: int = 0,
        variance_weight: float = 0.0,
        callback: Callable[[int, float], Any] | None = None,
        log_every: int = 10,
        branch_loss: str = "mean",
    ) -> ConditionalHistory:
        """Minimise the mean energy over the batch ``lams`` (labels are not needed).

        Args:
            lams: ``(B,)`` or ``(B, K)`` training values (a dense, unlabelled batch is fine).
            steps: Optimiser iterations (L-BFGS: at most ``steps`` iterations).
            optimizer: ``"lbfgs"`` (strong-Wolfe line search, default) or ``"adam"``.
            lr: Learning rate (default 1 for L-BFGS, 0.01 for Adam).
            seed: Recorded seed (the run itself is deterministic given the model).
            variance_weight: Weight of the energy-variance term.
            branch_loss: ``"mean"`` or ``"min"`` over branches (see :meth:`loss`).
            callback: ``callback(step, loss)``; return ``True`` to stop.
            log_every: Log (INFO) every this many evaluations.

        Returns:
            A :class:`ConditionalHistory`.

        Raises:
            ValueError: For an unknown optimiser or bad settings.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
            >>> m = MLPConditional(fam.ansatz(2), fam, (8,), init_scale=0.3, seed=0)
            >>> hist = m.fit([0.0, 0.5, 1.0, 1.5, 2.0], steps=20)
            >>> hist.final_loss < hist.losses[0]
            True
        """
        if optimizer not in CONDITIONAL_OPTIMIZERS:
            raise ConfigError(
                f"unknown optimizer {optimizer!r}; valid choices: {', '.join(CONDITIONAL_OPTIMIZERS)}"
            )
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ConfigError(f"steps must be an integer >= 0, got {steps!r}")
        params = [p for p in self.parameters() if p.requires_grad]
        if not params:
            raise ConfigError(f"a {type(self).__name__} has no trainable parameters; nothing to fit")
        if not bool(self.range_set):
            self.set_range(lams)
        L = self.lams(lams)
        hist = ConditionalHistory(
            seed=int(seed),
            versions=_versions(),
            settings={
                "optimizer": optimizer,
                "steps": steps,
                "lr": lr,
                "batch": int(L.shape[0]),
                "variance_weight": variance_weight,
                "branch_loss": branch_loss,
                "lam_min": L.min(0).values.tolist(),
                "lam_max": L.max(0).values.tolist(),
            },
        )
        t0 = time.perf_counter()

        class _Stop(Exception):
            pass

        def evaluate() -> Tensor:
            loss = self.loss(L, variance_weight, branch_loss)
            value = float(loss.detach())
            hist.losses.append(value)
            n = len(hist.losses)
            if n % max(1, log_every) == 0:
                log.info(
                    "%s fit: evaluation %d loss %.12g (%.1f s)", self.kind, n, value, time.perf_counter() - t0
                )
            if callback is not None and callback(n, value) is True:
                raise _Stop
            return loss

        try:
            if optimizer == "lbfgs" and steps:
                opt = torch_optimizer("lbfgs", params, lr, steps, 1e-12, max_eval=steps * 5 // 4 + 1)

                def closure() -> Tensor:
                    opt.zero_grad()
                    loss = evaluate()
                    loss.backward()
                    return loss

                opt.step(closure)  # type: ignore[arg-type]  # torch types closures as -> float, not Tensor
                hist.n_steps = int(opt.state[cast(torch.optim.LBFGS, opt)._params[0]].get("n_iter", 0))
            else:
                adam = torch_optimizer("adam", params, 0.01 if lr is None else lr)
                for _ in range(steps):
                    adam.zero_grad()
                    evaluate().backward()
                    adam.step()
                    hist.n_steps += 1
        except _Stop:
            hist.n_steps = len(hist.losses)
        hist.seconds = time.perf_counter() - t0
        return hist

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description (kind, circuit size, family, branches).

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3)
            >>> MLPConditional(fam.ansatz(1), fam, (4,)).describe()["n_circuit_weights"]
            2
        """
        return {
            "kind": self.kind,
            "family": self.family.label(),
            "n_wires": self.circuit.n_wires,
            "n_circuit_weights": self.circuit.n_weights,
            "n_branches": self.n_branches,
            "n_trainable": sum(p.numel() for p in self.parameters() if p.requires_grad),
            "lam_range": [self.lam_lo.tolist(), self.lam_hi.tolist()],
        }


_ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "silu": nn.SiLU, "gelu": nn.GELU}


class MLPConditional(ConditionalModel):
    """A small MLP ``lambda -> theta`` for a fixed ansatz; the simulation batch is ``lambda``.

    ``theta(lambda) = MLP(normalised lambda)`` with one output head of ``P`` angles per
    branch. The last layer starts small (``init_scale``) around ``offset`` (default zeros),
    so a cold model starts near a chosen point; :meth:`warm_start` fits per-point solutions.

    Args:
        circuit: The ansatz (weights only, plus branch inputs when ``branches`` is given).
        family: The Hamiltonian family.
        hidden: Hidden widths.
        activation: ``"tanh"`` (default, smooth), ``"silu"`` or ``"gelu"``.
        simulator: Simulator settings.
        branches: Optional branch inputs.
        lam_range: Range of ``lambda`` mapped to ``[-1, 1]``.
        offset: Initial angles ``(P,)`` the output is centred on.
        init_scale: Scale of the last layer's initial weights.
        seed: Seed of the initial weights.
        dtype: Parameter dtype (float64: complex128 simulation).

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
        >>> m = MLPConditional(fam.ansatz(2), fam, hidden=(8,), lam_range=(0.0, 2.0), seed=1)
        >>> m.angles(torch.tensor([0.3, 0.7])).shape
        torch.Size([2, 4])
    """

    kind: ClassVar[str] = "mlp"
    offset: Tensor  # a buffer

    def __init__(
        self,
        circuit: Circuit,
        family: HamiltonianFamily,
        hidden: Sequence[int] = (32, 32),
        activation: str = "tanh",
        simulator: Simulator | None = None,
        branches: Tensor | Sequence[Sequence[float]] | None = None,
        lam_range: Sequence[float] | Sequence[Sequence[float]] | None = None,
        offset: Tensor | Sequence[float] | None = None,
        init_scale: float = 0.01,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__(circuit, family, simulator, branches, lam_range)
        if activation not in _ACTIVATIONS:
            raise ConfigError(f"unknown activation {activation!r}; valid choices: {', '.join(_ACTIVATIONS)}")
        if self.circuit.n_inputs != self.branch_width:
            raise ConfigError(
                f"an MLPConditional circuit may only read branch inputs ({self.branch_width}), but it reads "
                f"{self.circuit.n_inputs}; use EncodedConditional for circuits with lambda inputs"
            )
        P, S = circuit.n_weights, self.n_branches
        self.seed = int(seed)
        widths = [family.n_params, *[int(h) for h in hidden]]
        if any(h < 1 for h in widths[1:]):
            raise ConfigError(f"hidden widths must be >= 1, got {list(hidden)}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            layers: list[nn.Module] = []
            for a, b in itertools.pairwise(widths):
                layers += [nn.Linear(a, b), _ACTIVATIONS[activation]()]
            head = nn.Linear(widths[-1], S * P)
            nn.init.uniform_(head.weight, -init_scale, init_scale)
            nn.init.zeros_(head.bias)
            layers.append(head)
            self.net = nn.Sequential(*layers).to(dtype)
        off = torch.zeros(P, dtype=dtype) if offset is None else torch.as_tensor(offset, dtype=dtype)
        off = off.reshape(-1)
        if off.numel() != P:
            raise ConfigError(f"offset has {off.numel()} angles but the circuit has {P} weights")
        self.register_buffer("offset", off.clone())

    def angles(self, lams: LamLike) -> Tensor:
        """``(B, P)`` (or ``(B, S, P)`` with branches) circuit weights (see the class example)."""
        L = self.lams(lams)
        out = self.net(self.normalize(L)).reshape(L.shape[0], self.n_branches, -1) + self.offset
        return out[:, 0] if self.branch_width == 0 else out

    def circuit_args(self, lams: Tensor) -> tuple[Tensor, Tensor | None]:
        out = self.net(self.normalize(lams)).reshape(lams.shape[0] * self.n_branches, -1) + self.offset
        return out, self._branch_inputs(lams.shape[0], out.dtype)

    def warm_start(self, lams: LamLike, weights: Tensor, steps: int = 500, tol: float = 1e-14) -> float:
        """Regress the MLP onto given weights (e.g. per-point VQE solutions) by L-BFGS.

        Args:
            lams: ``(T,)`` or ``(T, K)`` points.
            weights: ``(T, P)`` or ``(T, S, P)`` target circuit weights.
            steps: L-BFGS iterations.
            tol: Gradient tolerance.

        Returns:
            The final mean squared error.

        Raises:
            ValueError: For mismatched shapes.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
            >>> m = MLPConditional(fam.ansatz(2), fam, (16,), seed=0)
            >>> m.warm_start([0.0, 1.0, 2.0], torch.tensor([[0.1] * 4, [0.2] * 4, [0.4] * 4])) < 1e-8
            True
        """
        L = self.lams(lams)
        if not bool(self.range_set):
            self.set_range(L)
        target = torch.as_tensor(weights).to(self._dtype())
        if target.dim() == 2:
            target = target.unsqueeze(1).expand(-1, self.n_branches, -1)
        if target.shape != (L.shape[0], self.n_branches, self.circuit.n_weights):
            raise ConfigError(
                f"weights must have shape ({L.shape[0]}, {self.circuit.n_weights}) or "
                f"({L.shape[0]}, {self.n_branches}, {self.circuit.n_weights}), got {tuple(target.shape)}"
            )
        # centre the output on the mean target so the MLP only learns the variation
        self.offset.copy_(target.mean(dim=(0, 1)))
        opt = torch_optimizer(
            "lbfgs",
            self.net.parameters(),
            1.0,
            steps,
            tol,
            max_eval=steps * 5 // 4,
            tolerance_change=1e-18,
            history_size=50,
        )

        def closure() -> Tensor:
            opt.zero_grad()
            out = self.net(self.normalize(L)).reshape(target.shape) + self.offset
            loss = ((out - target) ** 2).mean()
            loss.backward()
            return loss

        opt.step(closure)  # type: ignore[arg-type]  # torch types closures as -> float, not Tensor
        with torch.no_grad():
            out = self.net(self.normalize(L)).reshape(target.shape) + self.offset
            mse = float(((out - target) ** 2).mean())
        log.info("warm start: MSE %.3e on %d points", mse, L.shape[0])
        return mse


class EncodedConditional(ConditionalModel):
    """Meta-VQE: ``lambda`` enters the circuit as inputs; one shared trainable weight vector.

    The circuit reads the branch inputs first (if any), then the ``lambda`` features: by
    default the normalised ``lambda`` itself (``F = K``), or ``features(normalised lambda)``.
    Build circuits with :func:`metavqe_circuit` or :func:`encode_ansatz` (for those, pass
    ``first_input=branch width`` when combining with branches).

    Args:
        circuit: Circuit with ``F_b + F`` inputs.
        family: The Hamiltonian family.
        simulator: Simulator settings.
        branches: Optional branch inputs (the circuit's first ``F_b`` inputs).
        lam_range: Range of ``lambda`` mapped to ``[-1, 1]``.
        features: Optional ``(B, K) -> (B, F)`` map of the normalised ``lambda``.
        weight_init: Strategy of :func:`qml.templates.init_weights` or explicit weights.
        init_scale: Scale of that strategy.
        seed: Seed of the initial weights.
        dtype: Parameter dtype.

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
        >>> m = EncodedConditional(encode_ansatz(fam.ansatz(2)), fam, lam_range=(0.0, 2.0))
        >>> m.energy([0.5, 1.5]).shape
        torch.Size([2])
    """

    kind: ClassVar[str] = "meta"

    def __init__(
        self,
        circuit: Circuit,
        family: HamiltonianFamily,
        simulator: Simulator | None = None,
        branches: Tensor | Sequence[Sequence[float]] | None = None,
        lam_range: Sequence[float] | Sequence[Sequence[float]] | None = None,
        features: Callable[[Tensor], Tensor] | None = None,
        weight_init: str | Tensor | Sequence[float] = "uniform",
        init_scale: float | None = 0.1,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__(circuit, family, simulator, branches, lam_range)
        from qml.templates import init_weights

        self.features = features
        n_feat = (
            family.n_params
            if features is None
            else int(features(torch.zeros(1, family.n_params, dtype=dtype)).shape[-1])
        )
        if circuit.n_inputs != self.branch_width + n_feat:
            raise ConfigError(
                f"the circuit reads {circuit.n_inputs} inputs but this model supplies {self.branch_width} "
                f"branch inputs + {n_feat} lambda features; build the circuit with "
                f"metavqe_circuit(..., n_lambda={n_feat}) "
                "or encode_ansatz(...)"
            )
        self.seed = int(seed)
        if isinstance(weight_init, str):
            w = init_weights(circuit, weight_init, seed=self.seed, scale=init_scale, dtype=dtype)
        else:
            w = torch.as_tensor(weight_init, dtype=dtype).reshape(-1).clone()
            if w.numel() != circuit.n_weights:
                raise ConfigError(
                    f"weight_init has {w.numel()} values, the circuit {circuit.n_weights} weights"
                )
        self.weights = nn.Parameter(w)

    def warm_start(self, lams: LamLike, weights: Tensor) -> float:
        """Initialise an :func:`encode_ansatz` circuit from per-point weights by polynomial least squares.

        For a circuit built as ``encode_ansatz(ansatz, K, degree)`` (weights: the ``P``
        ansatz angles, then the coefficients), fit each angle as a degree-``degree``
        polynomial of the normalised ``lambda`` through the given per-point solutions.

        Args:
            lams: ``(T,)`` or ``(T, K)`` points.
            weights: ``(T, P)`` per-point ansatz weights.

        Returns:
            The mean squared residual of the fit.

        Raises:
            ValueError: If the circuit was not built by :func:`encode_ansatz`.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
            >>> m = EncodedConditional(encode_ansatz(fam.ansatz(2), 1, 2), fam, lam_range=(0.0, 2.0))
            >>> m.warm_start([0.0, 1.0, 2.0], torch.tensor([[0.1] * 4, [0.2] * 4, [0.4] * 4])) < 1e-20
            True
        """
        L = self.lams(lams)
        if not bool(self.range_set):
            self.set_range(L)
        target = torch.as_tensor(weights).to(self._dtype())
        T, K = L.shape
        if target.dim() != 2 or target.shape[0] != T:
            raise ConfigError(f"weights must have shape ({T}, P), got {tuple(target.shape)}")
        P = target.shape[1]
        n = self.circuit.n_weights
        built = self.circuit.name.endswith("_encoded")
        if not built or self.features is not None or n % P or (n // P - 1) % K or n // P == 1:
            raise ConfigError(
                f"warm_start needs a circuit from encode_ansatz(ansatz with {P} weights, n_lambda={K}, "
                "degree) "
                f"and no custom features; this circuit has {n} weights"
            )
        degree = (n // P - 1) // K
        z = self.normalize(L)
        cols = [torch.ones(T, dtype=z.dtype)] + [z[:, k] ** d for k in range(K) for d in range(1, degree + 1)]
        A = torch.stack(cols, dim=1)  # (T, 1 + K * degree)
        coef = torch.linalg.lstsq(A, target, driver="gelsd").solution  # (1 + K * degree, P)
        w = torch.empty(n, dtype=self._dtype())
        w[:P] = coef[0]
        w[P:] = coef[1:].T.reshape(-1)  # order (i, k, d)
        with torch.no_grad():
            self.weights.copy_(w)
        return float(((A @ coef - target) ** 2).mean())

    def circuit_args(self, lams: Tensor) -> tuple[Tensor, Tensor | None]:
        z = self.normalize(lams)
        feats = z if self.features is None else self.features(z)
        feats = feats.repeat_interleave(self.n_branches, dim=0)
        b = self._branch_inputs(lams.shape[0], feats.dtype)
        x = feats if b is None else torch.cat([b, feats], dim=1)
        return self.weights, x


def interpolate(
    x: np.ndarray, y: np.ndarray, q: np.ndarray, kind: str, scale: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Values ``y (T, ...)`` known at points ``x (T, K)``, interpolated to ``q (B, K)``.

    ``"cubic"`` (natural spline) and ``"linear"`` need ``K = 1`` and sorted, distinct ``x``;
    ``"rbf"`` (thin-plate spline) takes scattered points in any ``K``, with coordinates
    mapped by ``scale = (lo, hi)`` to ``[0, 1]`` first. Outside the points the end pieces
    (or the RBF) extrapolate.

    Example:
        >>> interpolate(np.array([[0.0], [1.0]]), np.array([0.0, 2.0]), np.array([[0.25]]), "linear")
        array([0.5])
    """
    if kind == "rbf":
        from scipy.interpolate import RBFInterpolator

        lo, hi = (x.min(0), x.max(0)) if scale is None else scale
        span = np.where(hi > lo, hi - lo, 1.0)
        rbf = RBFInterpolator((x - lo) / span, y.reshape(len(y), -1), kernel="thin_plate_spline")
        return rbf((q - lo) / span).reshape(-1, *y.shape[1:])
    xs, qs = x[:, 0], q[:, 0]
    if kind == "cubic":
        from scipy.interpolate import CubicSpline

        return CubicSpline(xs, y, axis=0, bc_type="natural", extrapolate=True)(qs)
    idx = np.clip(np.searchsorted(xs, qs) - 1, 0, len(xs) - 2)
    t = ((qs - xs[idx]) / (xs[idx + 1] - xs[idx])).reshape(-1, *([1] * (y.ndim - 1)))
    return (1 - t) * y[idx] + t * y[idx + 1]


class InterpolationBaseline(ConditionalModel):
    """Per-point VQE parameters at training ``lambda`` values, interpolated in between.

    Component-wise cubic spline (``kind="cubic"``, :class:`scipy.interpolate.CubicSpline`,
    natural boundary; needs a scalar ``lambda`` and at least 3 points), piecewise linear
    (``kind="linear"``, scalar ``lambda``) or a thin-plate-spline radial basis function
    (``kind="rbf"``, :class:`scipy.interpolate.RBFInterpolator`, any number of parameters:
    scattered points in a phase diagram); outside the training range the end pieces are
    extrapolated.
    Build it from per-point VQE with :meth:`from_vqe`.

    Args:
        circuit: The ansatz.
        family: The Hamiltonian family.
        train_lams: ``(T,)`` training values.
        weights: ``(T, P)`` or ``(T, S, P)`` weights at them.
        kind: ``"cubic"`` or ``"linear"``.
        simulator: Simulator settings.
        branches: Optional branch inputs (then ``weights`` is ``(T, S, P)``).

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
        >>> c = fam.ansatz(2)
        >>> m = InterpolationBaseline(c, fam, [0.0, 1.0, 2.0], torch.zeros(3, 4), kind="linear")
        >>> m.angles([0.5]).shape
        torch.Size([1, 4])
    """

    kind: ClassVar[str] = "interp"
    train_lams: Tensor  # a buffer
    train_weights: Tensor  # a buffer
    per_point: PerPointResult  # set by from_vqe only

    def __init__(
        self,
        circuit: Circuit,
        family: HamiltonianFamily,
        train_lams: LamLike,
        weights: Tensor,
        kind: str = "cubic",
        simulator: Simulator | None = None,
        branches: Tensor | Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__(circuit, family, simulator, branches, None)
        if kind not in ("cubic", "linear", "rbf"):
            raise ConfigError(f"unknown interpolation kind {kind!r}; expected 'cubic', 'linear' or 'rbf'")
        if family.n_params != 1 and kind != "rbf":
            raise ConfigError(
                f"{kind} interpolation needs a scalar lambda; use kind='rbf' for {family.n_params} parameters"
            )
        if kind == "rbf":
            self._init_rbf(family, train_lams, weights, circuit)
            return
        L = family.as_lams(train_lams)[:, 0]
        W_ = torch.as_tensor(weights, dtype=torch.float64)
        if W_.dim() == 2:
            W_ = W_.unsqueeze(1)
        if W_.shape != (L.shape[0], self.n_branches, circuit.n_weights):
            raise ConfigError(
                f"weights must be ({L.shape[0]}, {circuit.n_weights}) or ({L.shape[0]}, {self.n_branches}, "
                f"{circuit.n_weights}), got {tuple(W_.shape)}"
            )
        order = torch.argsort(L)
        L, W_ = L[order], W_[order]
        if bool((L[1:] <= L[:-1]).any()):
            raise ConfigError("training lambda values must be distinct")
        if kind == "cubic" and L.shape[0] < 3:
            raise ConfigError("a cubic spline needs at least 3 training points; use kind='linear'")
        if L.shape[0] < 2:
            raise ConfigError("interpolation needs at least 2 training points")
        self.interp_kind = kind
        self.register_buffer("train_lams", L)
        self.register_buffer("train_weights", W_)
        self.set_range(L)

    def _init_rbf(
        self, family: HamiltonianFamily, train_lams: LamLike, weights: Tensor, circuit: Circuit
    ) -> None:
        L = family.as_lams(train_lams)
        W_ = torch.as_tensor(weights, dtype=torch.float64)
        if W_.dim() == 2:
            W_ = W_.unsqueeze(1)
        if W_.shape != (L.shape[0], self.n_branches, circuit.n_weights):
            raise ConfigError(f"weights must be ({L.shape[0]}, {circuit.n_weights}), got {tuple(W_.shape)}")
        if L.shape[0] < L.shape[1] + 1:
            raise ConfigError(
                f"rbf interpolation in {L.shape[1]} parameters needs at least {L.shape[1] + 1} "
                f"training points, got {L.shape[0]}"
            )
        if torch.unique(L, dim=0).shape[0] != L.shape[0]:
            raise ConfigError("training lambda values must be distinct")
        self.interp_kind = "rbf"
        self.register_buffer("train_lams", L)
        self.register_buffer("train_weights", W_)
        self.set_range(L)

    @classmethod
    def from_vqe(
        cls,
        circuit: Circuit,
        family: HamiltonianFamily,
        train_lams: LamLike,
        kind: str = "cubic",
        branches: Tensor | None = None,
        simulator: Simulator | None = None,
        **vqe_options: Any,
    ) -> InterpolationBaseline:
        """Run :func:`per_point_vqe` at ``train_lams`` (sorted, with continuation) and interpolate.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
            >>> m = InterpolationBaseline.from_vqe(fam.ansatz(2), fam, [0.0, 1.0, 2.0], steps=100)
            >>> float(m.energy([1.0])[0]) < -5.2
            True
        """
        L = family.as_lams(train_lams)[:, 0].sort().values
        res = per_point_vqe(family, circuit, L, branches=branches, simulator=simulator, **vqe_options)
        model = cls(circuit, family, res.lams, res.weights, kind, simulator, branches)
        model.per_point = res
        return model

    def angles(self, lams: LamLike) -> Tensor:
        """Interpolated weights ``(B, P)`` (``(B, S, P)`` with branches); see the class example."""
        L = self.lams(lams)
        out = self._interp(L)
        return out[:, 0] if self.branch_width == 0 else out

    def _interp(self, lams: Tensor) -> Tensor:
        lo, hi = self.lam_lo.cpu().numpy(), self.lam_hi.cpu().numpy()
        vals = interpolate(
            self.train_lams.cpu().numpy().reshape(len(self.train_lams), -1),
            self.train_weights.cpu().numpy(),
            lams.detach().cpu().numpy().astype(float),
            self.interp_kind,
            (lo, hi),
        )
        return torch.as_tensor(vals, dtype=self._dtype(), device=self._device())

    def circuit_args(self, lams: Tensor) -> tuple[Tensor, Tensor | None]:
        w = self._interp(lams).reshape(lams.shape[0] * self.n_branches, -1)
        return w, self._branch_inputs(lams.shape[0], w.dtype)

    def _dtype(self) -> torch.dtype:
        return self.train_weights.dtype


__all__ = [
    "CONDITIONAL_OPTIMIZERS",
    "ConditionalHistory",
    "ConditionalModel",
    "EncodedConditional",
    "HamiltonianFamily",
    "InterpolationBaseline",
    "MLPConditional",
    "PerPointResult",
    "Prediction",
    "bind_inputs",
    "encode_ansatz",
    "interpolate",
    "metavqe_circuit",
    "per_point_vqe",
    "sector_branches",
    "u1_circuit",
]
