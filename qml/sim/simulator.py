"""The native batched, differentiable PyTorch statevector simulator.

Shapes: ``weights`` is ``(n_weights,)`` or ``(B, n_weights)``, ``inputs`` is
``(n_inputs,)`` or ``(B, n_inputs)``; a batch of 1 broadcasts against the other.
Batched calls return a leading batch axis; fully unbatched calls drop it. States are
``(B, 2**n)`` in the wire order of :mod:`qml.ir` (wire 0 = most significant bit).

Differentiation (``diff=``):

* ``"backprop"``: autograd through every kernel; memory grows with the gate count.
* ``"adjoint"``: a custom ``torch.autograd.Function`` that keeps O(1) states and
  sweeps the circuit backwards once per backward call, for expectation values;
  gradients of 20+ qubit circuits fit in memory.
* ``"parameter-shift"``: exact shift rules (:mod:`qml.sim.shift`, the implementation the
  hardware backends use), all shifted circuits of the whole batch run as ONE batched
  execution in the backward pass; second derivatives shift twice.
* ``"auto"`` (default): backprop when it fits in memory, else adjoint.

Second derivatives (``create_graph=True``, hessians) work with ``"backprop"`` and
``"parameter-shift"``; ``"adjoint"`` raises ``NotImplementedError`` for them.

Real circuits (RY, CNOT, CZ, H, X, Z, SWAP, ...) run in real arithmetic automatically.

Simulation method (``method=``, one of :data:`METHODS`): ``"statevector"`` (default: this
module, ``2**n`` amplitudes) or ``"mps"`` (a matrix-product state of at most ``bond_dim``
singular values per bond, :class:`qml.mps.MPSSimulator`: chains of 32-128+ qubits with
limited entanglement; autograd gradients, ``state`` up to 20 wires, no sampling). The
method is a field of the settings, so a result can say which one produced it.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> from qml.paulis import pauli
    >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    >>> w = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    >>> e = expval(c, pauli("Z0 Z1 + Z1"), w)
    >>> e.backward()
    >>> round(e.item(), 6), round(w.grad.item(), 6)  # 1 + cos(0.3), -sin(0.3)
    (1.955336, -0.29552)
"""

from __future__ import annotations

import logging
import numbers
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from qml.dtypes import real_dtype
from qml.errors import ConfigError, ConfigTypeError
from qml.ir import Circuit
from qml.paulis import ObservableLike, PauliSum, as_observables
from qml.sim import collapse as tail
from qml.sim import dense, dense_tail, numba_rows, numba_state, numpy_state, split
from qml.sim.allocator import retain_on_request
from qml.sim.arguments import parameter_rows
from qml.sim.evaluation import Evaluator, Run, evolve, saved_states
from qml.sim.fusion import FusedProgram, fused_program
from qml.sim.memory import SimulationMemoryError, available_bytes, check_fits, estimate_bytes
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program, compile_circuit
from qml.sim.routes import NUMPY_TAIL_MAX_WIRES, Methods, Route
from qml.sim.split import Split
from qml.sim.tuning import tuning

__all__ = ["METHODS", "Simulator", "expval", "marginal", "probs", "sample", "state"]

Tensor = torch.Tensor
Diff = Literal["auto", "backprop", "adjoint", "parameter-shift"]
log = logging.getLogger(__name__)

_DIFFS = ("auto", "backprop", "adjoint", "parameter-shift")
#: Simulation methods of :class:`Simulator` (see the module docstring).
METHODS: tuple[str, ...] = ("statevector", "mps")
_DTYPES = (torch.complex64, torch.complex128)


@dataclass(frozen=True)
class Simulator:
    """Statevector simulator settings; methods run circuits.

    Args:
        dtype: ``torch.complex128`` (default) or ``torch.complex64``.
        device: ``"cpu"``, ``"cuda"``, ... (the same code runs on all).
        diff: Differentiation method for :meth:`expval` (see module docstring).
        real_arithmetic: Run circuits whose gates are all real in real arithmetic.
        memory_fraction: Share of free memory a run may use before the guard refuses it.
        fuse: Fuse gates into fewer passes over the state (see :mod:`qml.sim.fusion`);
            ``max_block`` bounds the width of fused single-qubit blocks. The collapsed
            shared tail and the two-register split work on the fused program: ``fuse=False``
            rules them out.
        methods: Which evaluation methods may be used: ``"auto"`` (the cost models decide),
            or a :class:`qml.sim.routes.Methods` / mapping such as ``{"split": "never"}`` or
            ``{"collapse": "always", "numpy_tail": "never"}`` (see :mod:`qml.sim.routes`).
        method: ``"statevector"`` or ``"mps"`` (see the module docstring).
        bond_dim: ``method="mps"``: most singular values kept per bond (default 64).
        cutoff: ``method="mps"``: relative singular-value cutoff (default by dtype: ``1e-12``
            in complex128, ``1e-6`` in complex64; see :class:`qml.mps.MPSSimulator`).

    Raises:
        ValueError: For an unknown dtype, ``diff`` or ``method``, MPS settings with the
            statevector method, or ``diff`` other than ``"auto"``/``"backprop"`` with the MPS.

    Example:
        >>> from qml.ir import Circuit
        >>> Simulator().probs(Circuit(1).add("H", 0)).tolist()
        [0.4999999999999999, 0.4999999999999999]
        >>> c = Circuit(50).add("H", 0).add("CNOT", (0, 49))
        >>> float(Simulator(method="mps", bond_dim=8).expval(c, "Z0 Z49"))
        1.0
    """

    dtype: torch.dtype = torch.complex128
    device: str | torch.device = "cpu"
    diff: Diff = "auto"
    real_arithmetic: bool = True
    memory_fraction: float = 0.8
    fuse: bool = True
    max_block: int = 4
    methods: Methods | str | Mapping[str, str] = "auto"
    method: str = "statevector"
    bond_dim: int | None = None
    cutoff: float | None = None
    _mps: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.dtype not in _DTYPES:
            raise ConfigError(f"dtype must be torch.complex64 or torch.complex128, got {self.dtype}")
        if self.diff not in _DIFFS:
            raise ConfigError(f"diff must be one of {_DIFFS}, got {self.diff!r}")
        m = Methods.coerce(self.methods)
        object.__setattr__(self, "methods", m)
        if not self.fuse and "always" in (m.collapse, m.numpy_tail, m.split):
            raise ConfigError(
                f"fuse=False rules out the collapsed tail and the split ({m}): they work on the fused "
                "program; keep fuse=True, or set those methods to 'auto'/'never'"
            )
        if self.method not in METHODS:
            raise ConfigError(
                f"unknown simulation method {self.method!r}; valid choices: {', '.join(map(repr, METHODS))}"
            )
        if self.method == "statevector":
            if self.bond_dim is not None or self.cutoff is not None:
                raise ConfigError(
                    "bond_dim and cutoff are settings of method='mps'; the statevector method is exact: "
                    "drop them, or pass method='mps'"
                )
            return
        if self.diff not in ("auto", "backprop"):
            raise ConfigError(
                f"method='mps' differentiates by autograd through the tensor network: diff must be 'auto' or "
                f"'backprop', got {self.diff!r}"
            )
        from qml.mps import MPSSimulator

        mps = MPSSimulator(
            bond_dim=64 if self.bond_dim is None else self.bond_dim,
            cutoff=self.cutoff,
            dtype=self.dtype,
            device=self.device,
        )
        object.__setattr__(self, "_mps", mps)

    @property
    def mps(self) -> Any:
        """The :class:`qml.mps.MPSSimulator` of ``method="mps"`` (``None`` for the statevector).

        Its ``run`` gives the MPS itself and ``expval_with_error`` the truncation error.

        Example:
            >>> Simulator(method="mps", bond_dim=16).mps.bond_dim
            16
        """
        return self._mps

    def settings(self) -> dict[str, Any]:
        """The settings that decide the numbers, as plain data (method, dtype, diff; MPS: bond_dim, cutoff).

        Example:
            >>> Simulator(method="mps", bond_dim=32).settings()
            {'method': 'mps', 'dtype': 'complex128', 'diff': 'auto', 'bond_dim': 32, 'cutoff': 1e-12}
        """
        out: dict[str, Any] = {
            "method": self.method,
            "dtype": str(self.dtype).replace("torch.", ""),
            "diff": self.diff,
        }
        if self._mps is not None:
            out["bond_dim"] = int(self._mps.bond_dim)
            out["cutoff"] = float(self._mps.cutoff)
        return out

    def _no_mps(self, what: str) -> None:
        if self._mps is not None:
            raise ConfigError(
                f"{what} is not available with method='mps' (an MPS gives expectation values, states of at "
                "most 20 wires and the MPS itself via .mps.run); use method='statevector' for it"
            )

    # -- input handling -------------------------------------------------------------
    def _prepare(self, circuit: Circuit, weights: Any, inputs: Any) -> Run:
        retain_on_request()
        if not isinstance(circuit, Circuit):
            raise ConfigTypeError(f"expected a qml Circuit, got {type(circuit).__name__}")
        rdt = real_dtype(self.dtype)
        w2, wb = parameter_rows(weights, circuit.n_weights, "weights", rdt, self.device, check_finite=False)
        x2, xb = parameter_rows(inputs, circuit.n_inputs, "inputs", rdt, self.device, check_finite=False)
        batched = wb or xb
        bw, bx = w2.shape[0], x2.shape[0]
        if bw != bx and 1 not in (bw, bx):
            raise ConfigError(f"weights batch {bw} and inputs batch {bx} differ; use equal sizes or 1")
        prog = compile_circuit(circuit)
        batch = max(bw, bx)
        collapse = None
        how = self._methods.collapse
        cut = tail.input_cut(prog) if bw == 1 and batch > 1 and self.fuse and how != "never" else 0
        if cut > 0:
            split_fp = fused_program(prog, self.max_block, cut)
            collapse = split_fp if how == "always" or tail.pays(split_fp, batch, self.device) else None
        const_rows = bw == 1 and not x2.requires_grad and prog.inputs_only()
        # the angle table is the first thing of batch size built here: check it before building it
        check_fits(
            0,
            batch,
            torch.float64,
            max(prog.n_slots, 1),
            "the angle table",
            self.device,
            self.memory_fraction,
            advice=f"a smaller batch (now {batch})",
        )
        angles = prog.angles(w2, x2)
        return Run(
            prog,
            angles,
            batched,
            batch,
            self._fused(prog),
            bw == 1,
            const_rows,
            collapse,
            w2,
            x2,
            torch.device(self.device),
            self.max_block,
        )

    def _fused(self, prog: Program) -> FusedProgram:
        return fused_program(prog, self.max_block if self.fuse else 0)

    def _state_dtype(self, prog: Program) -> torch.dtype:
        return real_dtype(self.dtype) if self.real_arithmetic and prog.is_real else self.dtype

    def _guard(self, n: int, batch: int, dtype: torch.dtype, states: int, mode: str) -> None:
        check_fits(n, batch, dtype, states, mode, self.device, self.memory_fraction)

    # -- execution --------------------------------------------------------------------
    def _out(self, t: Tensor, run: Run) -> Tensor:
        return t if run.batched else t[0]

    def state(self, circuit: Circuit, weights: Any = None, inputs: Any = None) -> Tensor:
        """The statevector ``U(weights, inputs)|0...0>``: ``(B, 2**n)`` or ``(2**n,)`` complex.

        Differentiable by backprop.

        Example:
            >>> from qml.ir import Circuit
            >>> Simulator().state(Circuit(2).add("X", 1)).real.tolist()
            [0.0, 1.0, 0.0, 0.0]
        """
        if self._mps is not None:
            result: Tensor = self._mps.state(circuit, weights, inputs)
            return result
        run = self._prepare(circuit, weights, inputs)
        n = circuit.n_wires
        dtype = self._state_dtype(run.prog)
        states = saved_states(run) + 2 if torch.is_grad_enabled() else 3
        self._guard(n, run.batch, dtype, states, "state")
        psi = self._evolve(run, dtype)
        return self._out(psi.to(self.dtype), run)

    def probs(
        self, circuit: Circuit, weights: Any = None, inputs: Any = None, wires: Sequence[int] | None = None
    ) -> Tensor:
        """Basis-state probabilities, optionally marginalised onto ``wires`` (in that order).

        Example:
            >>> from qml.ir import Circuit
            >>> Simulator().probs(Circuit(2).add("X", 0), wires=[1, 0]).tolist()
            [0.0, 1.0, 0.0, 0.0]
        """
        if self._mps is not None:
            psi = self._mps.state(circuit, weights, inputs)
            p = psi.real**2 + psi.imag**2
            if wires is not None:
                p = marginal(p.reshape(-1, p.shape[-1]), circuit.n_wires, wires).reshape(*p.shape[:-1], -1)
            result: Tensor = p
            return result
        run = self._prepare(circuit, weights, inputs)
        n = circuit.n_wires
        dtype = self._state_dtype(run.prog)
        self._guard(n, run.batch, dtype, saved_states(run) + 2 if torch.is_grad_enabled() else 3, "probs")
        psi = self._evolve(run, dtype)
        p = psi.real**2 + psi.imag**2 if psi.is_complex() else psi**2
        if wires is not None:
            p = marginal(p, n, wires)
        return self._out(p, run)

    def sample(
        self,
        circuit: Circuit,
        weights: Any = None,
        inputs: Any = None,
        shots: int = 1000,
        seed: int | None = None,
        wires: Sequence[int] | None = None,
    ) -> Tensor:
        """Measurement samples as bits: ``(B, shots, k)`` or ``(shots, k)`` uint8 (wire order).

        Args:
            circuit: The circuit.
            weights: Weights, see the module docstring.
            inputs: Inputs, see the module docstring.
            shots: Number of shots per batch row.
            seed: Seed of the sampler (a fixed seed gives the same samples).
            wires: Wires to measure (default: all).

        Example:
            >>> from qml.ir import Circuit
            >>> Simulator().sample(Circuit(2).add("X", 0), shots=2, seed=1).tolist()
            [[1, 0], [1, 0]]
        """
        self._no_mps("sampling")
        if isinstance(shots, bool) or not isinstance(shots, numbers.Integral) or shots < 1:
            raise ConfigError(f"shots must be an integer >= 1, got {shots!r}")
        with torch.no_grad():
            p = self.probs(circuit, weights, inputs, wires)
        p2 = p.reshape(-1, p.shape[-1]).to(torch.float64)
        k_bits = p.shape[-1].bit_length() - 1
        need = int(shots) * p2.shape[0] * (8 + k_bits)  # int64 indices, then one byte per bit
        avail = available_bytes(p2.device)
        if need > 0.8 * avail:
            raise SimulationMemoryError(
                f"{shots} shots x {p2.shape[0]} rows of {k_bits} bits need about {need / 2**30:.1f} GiB, "
                f"but only {avail / 2**30:.1f} GiB is free; sample in chunks of fewer shots"
            )
        gen = torch.Generator(device=p2.device)
        # no seed: a fresh one from the OS; torch's global generator (the user's) is left alone
        gen.manual_seed(int(seed) if seed is not None else random.SystemRandom().getrandbits(63))
        idx = torch.multinomial(p2, shots, replacement=True, generator=gen)
        k = p.shape[-1].bit_length() - 1
        shifts = torch.arange(k - 1, -1, -1, device=idx.device)
        bits = ((idx[..., None] >> shifts) & 1).to(torch.uint8)
        return bits.reshape(*p.shape[:-1], shots, k)

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
    ) -> Tensor:
        """Expectation values ``<psi|O|psi>``, differentiable with the simulator's ``diff`` method.

        Args:
            circuit: The circuit.
            observables: One observable (PauliSum, PauliString or text) or a list of them.
            weights: ``(n_weights,)`` or ``(B, n_weights)``.
            inputs: ``(n_inputs,)`` or ``(B, n_inputs)``.

        Returns:
            ``(B, n_obs)`` for a list of observables, ``(B,)`` for one; without a batch
            axis when neither weights nor inputs are batched.
        """
        if self._mps is not None:
            result: Tensor = self._mps.expval(circuit, observables, weights, inputs)
            return result
        obs, single = as_observables(observables)
        obs_list = list(obs)
        run = self._prepare(circuit, weights, inputs)
        plan = _plan(tuple(obs_list), circuit.n_wires)
        dtype = self._state_dtype(run.prog)
        route, detail = self._route(run, plan, dtype)
        log.debug("expval route: %s", route)
        self._guard(route.width, run.batch, dtype, route.states, route.guard)
        e = EVALUATORS[route.measure].evaluate(run, plan, dtype, route.diff, detail, self._guard)
        if single:
            e = e[..., 0]
        return self._out(e, run)

    def explain(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
    ) -> Route:
        """The route :meth:`expval` takes for these arguments, without simulating anything.

        Takes the same arguments as :meth:`expval` (a gradient is planned when ``weights`` or
        ``inputs`` require grad and grad mode is on, as there). :meth:`expval` logs the same
        route at DEBUG level (logger ``qml.sim.simulator``).

        Example:
            >>> import torch
            >>> from qml.templates import hardware_efficient
            >>> c = hardware_efficient(4, 2)
            >>> w = torch.zeros(c.n_weights, dtype=torch.float64, requires_grad=True)
            >>> r = Simulator().explain(c, "Z0 Z1", w)
            >>> r.method, r.measure, r.diff, r.width  # with numba installed (the fast extra)
            ('statevector', 'rows (numba)', 'adjoint', 4)
            >>> Simulator(methods={"numba_rows": "never"}).explain(c, "Z0 Z1", w).measure
            'one circuit (NumPy)'
            >>> torch_only = {"numba_rows": "never", "numpy_state": "never"}
            >>> Simulator(methods=torch_only).explain(c, "Z0 Z1", w).measure
            'full state'
            >>> Simulator().explain(c, "Z0 Z1", w.detach()).diff
            'none'
        """
        if self._mps is not None:
            n = circuit.n_wires
            w = torch.as_tensor(weights) if weights is not None else None
            x = torch.as_tensor(inputs) if inputs is not None else None
            grad = torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (w, x))
            rows = max([1, *(t.shape[0] for t in (w, x) if t is not None and t.dim() == 2)])
            chi = self._mps.bond_dim
            return Route(
                "mps",
                "matrix-product state",
                "backprop" if grad else "none",
                n,
                rows,
                0,
                self._mps.memory_estimate(circuit, rows, grad),
                f"method='mps' (bond_dim={chi}): site tensors (chi, 2, chi) per row; gradients by "
                "autograd through the SVDs",
                "mps",
            )
        obs_list = list(as_observables(observables)[0])
        run = self._prepare(circuit, weights, inputs)
        route, _ = self._route(run, _plan(tuple(obs_list), circuit.n_wires), self._state_dtype(run.prog))
        return route

    def state_route(self, circuit: Circuit, weights: Any = None, inputs: Any = None) -> Route:
        """How :meth:`state`, :meth:`probs` and :meth:`sample` compute the states of these arguments.

        One circuit without gradient on the CPU, from ``tuning.numba_state_min_wires`` qubits
        on and with numba installed, runs in compiled cache-blocked sweeps
        (:mod:`qml.sim.numba_state`, ``Methods.numba_state``); everything else in the torch engine.

        Example:
            >>> from qml.ir import Circuit
            >>> Simulator().state_route(Circuit(2).add("H", 0)).measure
            'full state'
        """
        n = circuit.n_wires
        if self._mps is not None:
            return Route("mps", "matrix-product state", "none", n, 1, 0, 0, "method='mps'", "mps")
        run = self._prepare(circuit, weights, inputs)
        dtype = self._state_dtype(run.prog)
        sched, why = self._numba_state(run, dtype)
        if sched is not None:
            need = numba_state.need(run, "none", numba_state.plan_for(sched, dtype))
            size = estimate_bytes(n, 1, dtype.itemsize, need.states)
            return Route("statevector", numba_state.MEASURE, "none", n, 1, need.states, size, why, "state")
        grad = torch.is_grad_enabled() and run.angles.requires_grad
        states = saved_states(run) + 2 if grad else 3
        size = estimate_bytes(n, run.batch, dtype.itemsize, states)
        return Route(
            "statevector",
            "full state",
            "backprop" if grad else "none",
            n,
            run.batch,
            states,
            size,
            why,
            "state",
        )

    def _evolve(self, run: Run, dtype: torch.dtype) -> torch.Tensor:
        """The final states ``(B, 2**n)``: compiled sweeps where they apply (:meth:`state_route`),
        else the torch engine."""
        sched, _ = self._numba_state(run, dtype)
        if sched is None:
            return evolve(run, dtype)
        return numba_state.state(numba_state.plan_for(sched, dtype), run, dtype)

    def _numba_state(self, run: Run, dtype: torch.dtype) -> tuple[numba_state.Schedule | None, str]:
        """The compiled sweeps of one circuit's state when they apply, and why (or why not)."""
        how = self._methods.numba_state
        n = run.prog.circuit.n_wires
        t = tuning(self.device)
        forced = " (forced by methods)" if how == "always" else ""
        if how == "never":
            return None, "methods numba_state='never': the torch engine"
        if how == "always":
            numba_rows.require("numba_state")
        elif not numba_rows.available():
            return None, "numba is not installed (the fast extra): the torch engine"
        if run.batch != 1:
            return None, f"a batch of {run.batch} rows: the torch engine"
        if torch.is_grad_enabled() and run.angles.requires_grad:
            return None, "a gradient is asked: the torch engine (backprop)"
        if not dense_tail.usable(run.angles):
            return None, "not on the CPU, or inside torch.func: the torch engine"
        if how == "auto" and (n < t.numba_state_min_wires or not self.fuse):
            if not self.fuse:
                return None, "fuse=False: the torch engine, gate by gate"
            return (
                None,
                f"{n} qubits, below tuning.numba_state_min_wires = {t.numba_state_min_wires}: the torch "
                "engine",
            )
        lb = t.numba_state_lane_bits
        gb = numba_state.local_bits_for(dtype, t.numba_state_group_bytes, lb)
        kk = numba_state.chunk_bits_for(t.numba_state_chunk_bits, lb, n, numba_state.cores(), gb)
        sched = numba_state.schedule_of(run.prog, kk, lb, t.numba_state_run_bits, gb)
        if sched is None:
            return None, (
                "a gate without a compiled kernel (no Fourier table, or more than "
                f"{numba_state.MAX_GATE_WIRES} wires), or fewer than {lb + 4} qubits: the torch engine"
            )
        return sched, f"one circuit without gradient on the CPU: {sched.describe()}{forced}"

    def _route(self, run: Run, plan: ObservablePlan, dtype: torch.dtype) -> tuple[Route, Any]:
        """The route of one expval call, with the plan of its method (the NumPy tail, the split or None)."""
        n = run.prog.circuit.n_wires
        needs_grad = torch.is_grad_enabled() and run.angles.requires_grad
        mode = self.diff
        m = self._methods
        adjoint_ok = mode in ("auto", "adjoint") or not needs_grad
        rows = self._numba_rows(run, dtype) if adjoint_ok else None
        one = None
        # the NumPy single circuit is built only where it can be taken: no compiled rows, or
        # forced against automatic ones (a forced method that applies wins over an automatic one)
        if adjoint_ok and (rows is None or (m.numpy_state == "always" and m.numba_rows != "always")):
            one = self._numpy_state(run)
            if one is not None:
                rows = None
        small = (
            self._dense_tail(run)
            if one is None and rows is None and (mode != "parameter-shift" or not needs_grad)
            else None
        )
        splittable = (
            one is None
            and rows is None
            and small is None
            and (mode in ("auto", "backprop") or not needs_grad)
        )
        sp = self._split(run, plan) if splittable else None
        forced = {"always": " (forced by methods)", "auto": ""}
        shared = (
            "; the gates after the last input-reading gate as one shared matrix" + forced[m.collapse]
            if run.collapse
            else ""
        )
        if not self.fuse:
            shared = "; fuse=False: no fusion, no collapsed tail, no split"
        detail: Any = None
        if rows is not None:
            method, diff = numba_rows.EVALUATOR, "adjoint" if needs_grad else "none"
            lanes = numba_rows.use_lanes(run.angles.shape[0])
            detail = numba_rows.Plan(
                rows, second_order=mode != "adjoint", states=2 * 16 // dtype.itemsize, lanes=lanes
            )
            why = (
                "a small register on the CPU: every row through the whole circuit in compiled loops "
                "(numba) with the adjoint gradient"
                + (f"; rows side by side, {numba_rows.LANES} at a time (vector passes)" if lanes else "")
                + forced[m.numba_rows]
            )
        elif one is not None:
            method, diff = numpy_state.EVALUATOR, "adjoint" if needs_grad else "none"
            detail = numpy_state.Plan(one, second_order=mode != "adjoint")
            why = (
                "one small circuit on the CPU: its state in NumPy with the adjoint gradient"
                + (forced[m.numpy_state])
            )
        elif sp is not None:
            method, detail, diff = split.EVALUATOR, sp, "backprop" if needs_grad else "none"
            why = f"few gates cross the middle: two registers of {sp.width} qubits" + (
                forced[m.split] or " (qml.sim.split's cost model)"
            )
        elif small is not None:
            method, detail, diff = dense_tail.EVALUATOR, small, "adjoint" if needs_grad else "none"
            why = (
                "a small register on the CPU: the shared tail in NumPy with its exact matrix adjoint"
                + (forced[m.numpy_tail])
            )
        elif not needs_grad and (sched := self._numba_state(run, dtype)[0]) is not None:
            method, detail, diff = numba_state.EVALUATOR, numba_state.plan_for(sched, dtype), "none"
            why = (
                f"no gradient asked, one circuit on the CPU: its state in {sched.describe()}"
                + (forced[m.numba_state])
            )
        elif not needs_grad:
            method, diff = dense.EVALUATOR, "none"
            why = "no gradient asked: one forward pass" + shared
        else:
            method = dense.EVALUATOR
            diff = mode if mode != "auto" else self._auto_mode(n, run.batch, dtype, saved_states(run))
            why = f"diff={mode!r}"
            if mode == "auto":
                fits = "backprop fits in memory" if diff == "backprop" else "backprop would not fit in memory"
                why += f" chose {diff!r} ({fits})"
            why += shared
        if not tuning(self.device).measured and "auto" in (
            m.collapse,
            m.numpy_tail,
            m.split,
            m.numpy_state,
            m.numba_rows,
        ):
            why += f"; the cost models are CPU fits, not measured on {torch.device(self.device).type}"
        need = method.need(run, diff, detail)
        route = Route(
            "statevector",
            method.measure,
            diff,
            need.width,
            run.batch,
            need.states,
            estimate_bytes(need.width, run.batch, dtype.itemsize, need.states),
            why,
            need.guard,
            run.collapse is not None and sp is None and one is None and rows is None,
        )
        return route, detail

    @property
    def _methods(self) -> Methods:
        m = self.methods
        assert isinstance(m, Methods)  # coerced in __post_init__
        return m

    def _split(self, run: Run, plan: ObservablePlan) -> Split | None:
        """The two-register split of a shallow circuit when it pays (see :mod:`qml.sim.split`)."""
        how = self._methods.split
        if how == "never" or not self.fuse:
            return None
        diagonal = plan.diagonal_only
        sp = split.plan(run.prog.circuit, max_block=self.max_block, diagonal=diagonal)
        pays = how == "always" or split.pays(sp, run.fused, run.batch, self.device)
        return sp if sp is not None and pays else None

    def _numpy_state(self, run: Run) -> Any:
        """The NumPy form of one small circuit when it applies (see :mod:`qml.sim.numpy_state`)."""
        how = self._methods.numpy_state
        n = run.prog.circuit.n_wires
        limit = NUMPY_TAIL_MAX_WIRES if how == "always" else tuning("cpu").numpy_state_max_wires
        if (
            how == "never"
            or not self.fuse
            or run.batch != 1
            or n > limit
            or not dense_tail.usable(run.angles)
        ):
            return None
        if run.inputs is not None and run.inputs.requires_grad and torch.is_grad_enabled():
            return None  # input gradients: the torch path
        return numpy_state.compiled(numpy_state.program_of(run.prog, self.max_block))

    def _numba_rows(self, run: Run, dtype: torch.dtype) -> Any:
        """The compiled row-by-row kernel when it applies (see :mod:`qml.sim.numba_rows`)."""
        how = self._methods.numba_rows
        if how == "never" or not self.fuse:
            return None
        if how == "always":
            numba_rows.require()
        elif not numba_rows.available():
            return None
        n = run.prog.circuit.n_wires
        if n > numba_rows.MAX_WIRES or not dense_tail.usable(run.angles):
            return None
        if how == "auto":
            m = self._methods
            if "always" in (m.collapse, m.numpy_tail, m.split):
                return None  # a forced method wins over an automatic one
            t = tuning("cpu")
            one_row = run.angles.shape[0] == 1
            if n > (t.numba_rows_max_wires if one_row else t.numba_rows_batch_max_wires):
                return None
            if not one_row and run.shared and run.batch > t.numba_rows_small_batch:
                share = tail.input_cut(run.prog) / max(len(run.prog.steps), 1)
                if share < t.numba_rows_min_input_share:
                    return None  # most gates are shared by the rows: the batched routes are faster
        return numba_rows.kernel_of(run.prog)

    def _dense_tail(self, run: Run) -> Any:
        """The NumPy form of the shared tail when it applies (see :mod:`qml.sim.dense_tail`)."""
        how = self._methods.numpy_tail
        if run.collapse is None or how == "never" or not dense_tail.usable(run.angles):
            return None
        return dense_tail.tail_of(run.collapse, NUMPY_TAIL_MAX_WIRES if how == "always" else None)

    def _auto_mode(self, n: int, batch: int, dtype: torch.dtype, n_steps: int) -> str:
        try:
            check_fits(n, batch, dtype, n_steps + 3, "backprop", self.device, self.memory_fraction / 2)
            return "backprop"
        except MemoryError:
            log.info("backprop would not fit for %d qubits x batch %d; using adjoint", n, batch)
            return "adjoint"


def marginal(p: Tensor, n: int, wires: Sequence[int]) -> Tensor:
    """Marginal probabilities ``(B, 2**k)`` of ``wires`` (in the given order) from ``(B, 2**n)``."""
    wires = list(wires)
    if len(set(wires)) != len(wires) or any(not 0 <= w < n for w in wires):
        raise ConfigError(f"wires must be distinct wires in 0..{n - 1}, got {wires}")
    t = p.reshape(p.shape[0], *([2] * n))
    other = [1 + w for w in range(n) if w not in wires]
    if other:
        t = t.sum(dim=other)
    kept = sorted(wires)
    t = t.permute(0, *[1 + kept.index(w) for w in wires])
    return t.reshape(p.shape[0], -1)


_PLANS: dict[tuple[Any, ...], ObservablePlan] = {}


def _plan(obs: tuple[PauliSum, ...], n: int) -> ObservablePlan:
    key = (obs, n)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) > 64:
            _PLANS.clear()
        plan = _PLANS[key] = ObservablePlan(list(obs), n)
    return plan


#: The evaluation method of each ``Route.measure`` (one signature: :class:`qml.sim.evaluation.Evaluator`).
EVALUATORS: dict[str, Evaluator] = {
    m.EVALUATOR.measure: m.EVALUATOR for m in (dense, dense_tail, split, numpy_state, numba_rows, numba_state)
}

_DEFAULT = Simulator()


def state(circuit: Circuit, weights: Any = None, inputs: Any = None, **settings: Any) -> Tensor:
    """Statevector with a default :class:`Simulator` (``settings`` override its fields).

    Example:
        >>> from qml.ir import Circuit
        >>> state(Circuit(1).add("X", 0)).real.tolist()
        [0.0, 1.0]
    """
    return (Simulator(**settings) if settings else _DEFAULT).state(circuit, weights, inputs)


def probs(
    circuit: Circuit,
    weights: Any = None,
    inputs: Any = None,
    wires: Sequence[int] | None = None,
    **settings: Any,
) -> Tensor:
    """Probabilities with a default :class:`Simulator` (``settings`` override its fields).

    Example:
        >>> from qml.ir import Circuit
        >>> probs(Circuit(2).add("X", 1)).tolist()
        [0.0, 1.0, 0.0, 0.0]
    """
    return (Simulator(**settings) if settings else _DEFAULT).probs(circuit, weights, inputs, wires)


def expval(
    circuit: Circuit,
    observables: ObservableLike | Sequence[ObservableLike],
    weights: Any = None,
    inputs: Any = None,
    **settings: Any,
) -> Tensor:
    """Expectation values with a default :class:`Simulator` (``settings`` override its fields).

    Example:
        >>> import torch
        >>> from qml.ir import Circuit, W
        >>> round(float(expval(Circuit(1).add("RY", 0, W(0)), "Z0", [torch.pi / 3])), 6)
        0.5
    """
    return (Simulator(**settings) if settings else _DEFAULT).expval(circuit, observables, weights, inputs)


def sample(
    circuit: Circuit,
    weights: Any = None,
    inputs: Any = None,
    shots: int = 1000,
    seed: int | None = None,
    wires: Sequence[int] | None = None,
    **settings: Any,
) -> Tensor:
    """Samples with a default :class:`Simulator` (``settings`` override its fields).

    Example:
        >>> from qml.ir import Circuit
        >>> sample(Circuit(1).add("X", 0), shots=3, seed=0).tolist()
        [[1], [1], [1]]
    """
    return (Simulator(**settings) if settings else _DEFAULT).sample(
        circuit, weights, inputs, shots, seed, wires
    )
