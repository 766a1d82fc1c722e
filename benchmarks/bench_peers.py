"""Peers: qsim, qulacs, TensorCircuit-NG and torchquantum against the native simulator (issue 21).

Three workloads, each with its own files (``peers_<workload>.csv/.json/.md/.png`` in ``--out``):

* ``forward``: the final state of a random circuit of ``--forward-layers`` (10) layers, each a
  random rotation ``RX``/``RY``/``RZ`` (random angle) on every wire, then ``CNOT`` or ``CZ``
  (random) on neighbour pairs in a brick pattern (pairs ``(0,1), (2,3), ...`` in even layers,
  ``(1,2), (3,4), ...`` in odd ones); seeded per ``n``. Contenders: ``qml-c128`` / ``qml-c64``
  (``Simulator(dtype).state`` under ``no_grad``), ``qsim-c64`` (``qsimcirq.QSimSimulator``
  with ``cpu_threads=T``, ``simulate``; qsim runs complex64 only), ``qulacs-c128``
  (``QuantumCircuit.update_quantum_state`` on a state allocated once and reset by
  ``set_zero_state``), ``qulacs-opt-c128`` (the same circuit after qulacs'
  ``QuantumCircuitOptimizer().optimize_light``, which merges neighbouring gates), ``tc-jax-c64``
  (TensorCircuit-NG, jax backend, the circuit with the angles as arguments, ``jax.jit``
  compiled ahead of time, ``block_until_ready``).
* ``train``: a batched training step, loss = batch mean of ``<sum_i Z_i>``, forward + gradient of
  all ``2 n L`` weights, two circuits (``circuit`` column): ``encode`` = :func:`hea_circuit`
  (``RX(x_i)`` once, then ``L`` layers of ``RY(w), RZ(w)`` on every wire and a CNOT ladder) and
  ``reupload`` (``RX(x_i)`` before every layer). Contenders: ``qml-auto-c128`` / ``qml-auto-c64``
  (``Simulator(diff="auto")``: backprop where it fits; weights ``(P,)`` shared by the ``(B, n)``
  inputs, ``loss.backward()``), ``tc-jax-<dtype>`` (``jax.jit(jax.value_and_grad(loss))`` with
  ``jax.vmap`` of the one-input circuit over the batch), ``pl-default-backprop``
  (``default.qubit``, ``interface="torch"``, backprop, the inputs broadcast; complex128),
  ``tq-c64`` (torchquantum 0.1.8, ``QuantumDevice(bsz=B)`` built in the step as its examples do,
  ``tqf`` gates, ``measurement.expval``, ``backward()``; complex64 only).
* ``energy``: one circuit's energy and gradient, :func:`hea_circuit` without encoding and the
  periodic TFIM ``-sum Z_i Z_{i+1} - sum X_i`` (:func:`tfim_terms`), ``(n, L)`` pairs.
  Contenders: ``qml-auto-c128`` / ``qml-adjoint-c128`` / ``qml-auto-c64`` (``expval`` +
  ``backward()``), ``qulacs-c128`` (``ParametricQuantumCircuit``: parameters set, state updated,
  ``Observable.get_expectation_value``, ``circuit.backprop(observable)``), ``tc-jax-<dtype>``
  (``jit(value_and_grad)`` of the unrolled circuit, one ``expectation_ps`` per term on the
  cached state), ``tc-jax-scan-<dtype>`` (the same with ``jax.lax.scan`` over the layers:
  compiles one layer, so its compile time does not grow with ``L``), ``pl-lightning-adjoint``
  (``lightning.qubit``, adjoint, ``interface="autograd"``: ``qp.grad`` and its ``forward`` value;
  the torch interface would return float32 values).

Verification before timing: every contender's warm-up result is compared with the native
complex128 result (computed first, untimed): states up to a global phase (``max |a e^{-i phi} -
ref|``), energies/losses and gradients by ``max |a - ref|``. The deviation is the ``check``
column; a contender whose deviation exceeds ``tolerance`` (:data:`TOLERANCE`, per dtype) gets
an ``error`` row and is not timed. Conventions mapped here (and verified by the check): cirq/qsim
and TensorCircuit order qubit 0 as the most significant bit, as ``qml`` does; qulacs orders it
as the least significant bit and defines ``R_P(theta) = exp(+i theta P / 2)`` (angles and
gradients change sign).

Timing: the interleaved protocol of :mod:`benchmarks.common` (warm-up, spin-up, alternating
rounds, median, peak memory of one extra call). TensorCircuit-NG is compiled ahead of time
(``jax.jit(f).lower(...).compile()``) in the untimed build: ``compile_s`` is that time, apart
from ``median_s``. An unrolled TensorCircuit gradient compiles in time that grows quickly with
the gate count (tens of seconds at 200 gates on 2 cores), so ``tc-jax`` energy rows run only up to
``--tc-max-gates`` gates, and a TensorCircuit contender whose compile took longer than
``--max-compile`` seconds skips the larger configurations. Threads: ``--threads`` sets
OpenMP (qulacs, lightning), torch (native, torchquantum, default.qubit) and qsim's
``cpu_threads``; XLA's CPU client uses every core of the machine unless ``--threads 1`` (then
``XLA_FLAGS`` makes it single-threaded; set before jax loads).

Peers that are not installed give ``skipped`` rows with the reason ``not installed``. Install
(see benchmarks/README.md)::

    pip install -c constraints.txt -e ".[all,test,bench]"
    pip install --no-deps torchquantum==0.1.8

Run from the repository root::

    python -m benchmarks.bench_peers --quick
    python -m benchmarks.bench_peers --threads 2 --wait-quiet 30
    python -m benchmarks.bench_peers --workloads energy --pairs 12x6 16x8
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import math
import os
import re
import sys
import time
import types
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.common import (  # common is imported first: it fixes the thread env before torch loads
    Contender,
    Settings,
    Skip,
    SlowRegistry,
    add_ratios,
    apply_settings,
    base_parser,
    finish,
    hea_circuit,
    hea_pennylane,
    iter_grid,
    max_abs_diff,
    np,
    pennylane_device,
    profile_call,
    run_cases,
    terms_native,
    terms_pennylane,
    tfim_terms,
    torch,
    z_sum_terms,
)
from qml.ir import Circuit, W, X
from qml.sim.simulator import Simulator

WORKLOADS = ("forward", "train", "energy")
CIRCUITS = ("encode", "reupload")
GRIDS: dict[str, dict[str, Any]] = {
    "quick": {"forward": [10, 12], "train_n": [4], "train_B": [64], "energy": [(8, 4)]},
    "default": {
        "forward": [20, 22],
        "train_n": [4, 6, 8],
        "train_B": [64, 256, 512],
        "energy": [(8, 4), (12, 6), (16, 8), (20, 10)],
    },
    "full": {
        "forward": [20, 22, 24],
        "train_n": [4, 6, 8, 10],
        "train_B": [64, 256, 512, 1024],
        "energy": [(8, 4), (12, 6), (16, 8), (20, 10), (22, 11)],
    },
}
TRAIN_LAYERS = 4
#: Largest deviation from the native complex128 result that lets a contender be timed, by the
#: precision it runs in: energies, losses and gradients ...
TOLERANCE = {"complex128": 1e-8, "complex64": 1e-4}
#: ... and amplitudes of a normalised state (up to a global phase).
STATE_TOLERANCE = {"complex128": 1e-10, "complex64": 1e-5}
SHORT = {"complex128": "c128", "complex64": "c64"}
INSTALL = 'pip install -c constraints.txt -e ".[bench]"'
TQ_INSTALL = "pip install --no-deps torchquantum==0.1.8"
#: The packages behind each contender family (the ``peer_version`` column).
PEER_PACKAGES = {
    "qml": ("qml-circuits", "torch"),
    "qsim": ("qsimcirq", "cirq-core"),
    "qulacs": ("qulacs",),
    "tc": ("tensorcircuit-ng", "jax", "jaxlib"),
    "pl": ("pennylane", "pennylane_lightning"),
    "tq": ("torchquantum", "torch"),
}

# One gate of a layout: (name, wires, parameter) with parameter None, ("x", j), ("w", k) or a float.
Op = tuple[str, tuple[int, ...], Any]


# ----------------------------------------------------------------------------------------
# Circuits, as layouts that every framework's builder reads
# ----------------------------------------------------------------------------------------


def random_layout(n: int, layers: int, seed: int) -> list[Op]:
    """The ``forward`` circuit: per layer a random ``RX``/``RY``/``RZ`` (angle in ``[0, 2 pi)``) on
    every wire, then ``CNOT`` or ``CZ`` on the pairs ``(i, i+1)``, ``i = layer % 2, layer % 2 + 2, ...``."""
    rng = np.random.default_rng([seed, n, layers])
    ops: list[Op] = []
    for layer in range(layers):
        for i in range(n):
            ops.append((str(rng.choice(["RX", "RY", "RZ"])), (i,), float(rng.uniform(0, 2 * math.pi))))
        for i in range(layer % 2, n - 1, 2):
            ops.append((str(rng.choice(["CNOT", "CZ"])), (i, i + 1), None))
    return ops


def hea_layout(n: int, layers: int, upload: str) -> list[Op]:
    """The circuit of :func:`hea_circuit` as a layout; ``upload``: ``"none"`` (no inputs),
    ``"encode"`` (``RX(x_i)`` once, :func:`hea_circuit`'s layout) or ``"reupload"`` (before every layer)."""
    ops: list[Op] = []
    k = 0
    for layer in range(layers):
        if upload == "reupload" or (upload == "encode" and layer == 0):
            ops += [("RX", (i,), ("x", i)) for i in range(n)]
        for i in range(n):
            ops += [("RY", (i,), ("w", k)), ("RZ", (i,), ("w", k + 1))]
            k += 2
        ops += [("CNOT", (i, i + 1), None) for i in range(n - 1)]
    return ops


def native_circuit(n: int, ops: Sequence[Op]) -> Circuit:
    """A layout as a native :class:`~qml.ir.Circuit` (``("x", j)`` -> ``X(j)``, ``("w", k)`` -> ``W(k)``)."""
    c = Circuit(n)
    for name, wires, p in ops:
        if p is None:
            c = c.add(name, wires)
        elif isinstance(p, tuple):
            c = c.add(name, wires[0], X(p[1]) if p[0] == "x" else W(p[1]))
        else:
            c = c.add(name, wires[0], p)
    return c


def train_circuit(n: int, layers: int, kind: str) -> Circuit:
    """The native ``train`` circuit: :func:`hea_circuit` (``encode``) or its re-uploading variant."""
    return hea_circuit(n, layers) if kind == "encode" else native_circuit(n, hea_layout(n, layers, kind))


# ----------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------


def state_deviation(psi: Any, ref: np.ndarray) -> float:
    """``max |psi e^{-i phi} - ref|`` with the global phase ``phi`` that aligns ``psi`` with ``ref``."""
    a = np.asarray(psi, dtype=np.complex128).reshape(-1)
    overlap = np.vdot(a, ref)
    phase = overlap / abs(overlap) if abs(overlap) > 0 else 1.0
    return float(np.max(np.abs(a * phase - ref)))


def value_grad_deviation(res: tuple[float, np.ndarray], ref: tuple[float, np.ndarray]) -> float:
    """``max(|value - ref value|, max |gradient - ref gradient|)``."""
    return max(abs(float(res[0]) - ref[0]), max_abs_diff(np.asarray(res[1]), ref[1]))


def little_to_big_endian(v: np.ndarray, n: int) -> np.ndarray:
    """A state with qubit 0 as the least significant bit (qulacs) reordered with qubit 0 as the most."""
    return np.asarray(v).reshape([2] * n).transpose(list(range(n))[::-1]).reshape(-1)


# ----------------------------------------------------------------------------------------
# Peers: availability, versions, imports
# ----------------------------------------------------------------------------------------


def need(module: str, install: str = INSTALL) -> None:
    """Raise :class:`Skip` ("not installed") when ``module`` cannot be imported."""
    if importlib.util.find_spec(module) is None:
        raise Skip(f"not installed: {module} ({install})")


def peer_version(family: str, settings: Settings) -> str:
    """``"pkg version, ..."`` of the packages behind a contender family (from the run's versions)."""
    v = json.loads(settings.versions)
    return ", ".join(f"{p} {v.get(p, 'absent')}" for p in PEER_PACKAGES[family])


class _StandInMeta(type):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return cls


class StandIn(metaclass=_StandInMeta):
    """Placeholder for a name torchquantum imports at module level but never uses in a statevector
    training step (Qiskit 1.x modules that Qiskit 2 removed, its unpinned optional dependencies).
    Any attribute, call or instance of it is again a placeholder."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> StandIn:
        return StandIn()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn


_TQ: dict[str, Any] = {}
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


def import_torchquantum() -> tuple[Any, Any, list[str]]:
    """``(torchquantum, torchquantum.functional, stand-ins)``: torchquantum 0.1.8 imported with
    minimal stand-ins.

    torchquantum imports, at module level, Qiskit 1.x modules that Qiskit 2 removed
    (``qiskit.providers.aer``, ``qiskit.pulse``, ``qiskit.test.mock``, ``qiskit.compiler.assemble``,
    ...) and optional packages it does not declare (torchpack, torchvision, pathos, torchdiffeq).
    Each missing module, or name missing from a present module, gets a :class:`StandIn`, one at a
    time until the import succeeds; so exactly the missing names are stood in for. The stand-ins are
    removed again (from ``sys.modules`` and the real modules) once torchquantum is loaded: the rest
    of the process sees Qiskit unchanged.
    """
    need("torchquantum", TQ_INSTALL)
    if _TQ:
        return _TQ["tq"], _TQ["tqf"], _TQ["stand_ins"]
    added_modules: list[str] = []
    added_attrs: list[tuple[str, str]] = []

    def drop_partial() -> None:
        for k in [k for k in sys.modules if k == "torchquantum" or k.startswith("torchquantum.")]:
            del sys.modules[k]

    try:
        for _ in range(200):
            try:
                tq = importlib.import_module("torchquantum")
                tqf = importlib.import_module("torchquantum.functional")
                break
            except ModuleNotFoundError as e:
                drop_partial()
                if not e.name or e.name in sys.modules or e.name.split(".")[0] == "torchquantum":
                    raise
                mod = types.ModuleType(e.name, "stand-in for torchquantum (benchmarks/bench_peers.py)")
                mod.__path__ = []  # a package: its submodules are looked up (and stood in for) too
                mod.__getattr__ = lambda name: StandIn  # type: ignore[method-assign]
                sys.modules[e.name] = mod
                added_modules.append(e.name)
            except ImportError as e:
                drop_partial()
                m = _CANNOT_IMPORT.search(str(e))
                if m is None or m.group(2) not in sys.modules:
                    raise
                setattr(sys.modules[m.group(2)], m.group(1), StandIn)
                added_attrs.append((m.group(2), m.group(1)))
        else:
            raise ImportError("torchquantum: more than 200 missing names; giving up")
    finally:
        for name in added_modules:
            sys.modules.pop(name, None)
        for mod_name, attr in added_attrs:
            if mod_name in sys.modules and getattr(sys.modules[mod_name], attr, None) is StandIn:
                delattr(sys.modules[mod_name], attr)
    stand_ins = added_modules + [f"{m}.{a}" for m, a in added_attrs]
    _TQ.update(tq=tq, tqf=tqf, stand_ins=stand_ins)
    return tq, tqf, stand_ins


def tensorcircuit(dtype: str) -> tuple[Any, Any]:
    """``(tensorcircuit, jax)`` with the jax backend at ``dtype`` (jax's 64-bit mode on, for the
    float64 weights of complex128 runs). ``tc.set_dtype`` is global: the callers trace and compile
    right after it, ahead of time, so later calls do not retrace."""
    need("tensorcircuit")
    import jax

    jax.config.update("jax_enable_x64", True)
    import tensorcircuit as tc

    tc.set_backend("jax")
    tc.set_dtype(dtype)
    return tc, jax


def tc_apply(c: Any, ops: Sequence[Op], x: Any = None, w: Any = None) -> None:
    """Apply a layout to a TensorCircuit circuit (``("x", j)`` reads ``x[j]``, ``("w", k)`` reads ``w[k]``,
    a float reads the next entry of ``w``)."""
    j = 0
    for name, wires, p in ops:
        gate = getattr(c, name.lower())
        if p is None:
            gate(*wires)
        elif isinstance(p, tuple):
            gate(wires[0], theta=x[p[1]] if p[0] == "x" else w[p[1]])
        else:
            gate(wires[0], theta=w[j])
            j += 1


def tc_terms(c: Any, terms: Sequence[tuple[float, dict[int, str]]], backend: Any) -> Any:
    """``sum coeff <P>`` with one ``expectation_ps`` per Pauli string (the state is contracted once)."""
    total = 0.0
    for coeff, d in terms:
        kw: dict[str, list[int]] = {}
        for wire, letter in sorted(d.items()):
            kw.setdefault(letter.lower(), []).append(wire)
        total = total + coeff * backend.real(c.expectation_ps(**kw))
    return total


def tc_compile(jax: Any, fn: Callable[..., Any], args: Sequence[Any], info: dict[str, Any]) -> Any:
    """``jax.jit(fn)`` lowered and compiled for ``args`` ahead of time; the seconds go to ``info``."""
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    info["compile_s"] = round(time.perf_counter() - t0, 3)
    return compiled


# ----------------------------------------------------------------------------------------
# forward: final state of a random circuit
# ----------------------------------------------------------------------------------------


def native_state(n: int, ops: Sequence[Op], dtype: torch.dtype) -> Callable[[], Any]:
    sim = Simulator(dtype=dtype)
    circuit = native_circuit(n, ops)

    def run() -> Any:
        with torch.no_grad():
            return sim.state(circuit)

    return run


def qsim_state(n: int, ops: Sequence[Op], threads: int) -> Callable[[], Any]:
    need("qsimcirq")
    import cirq
    import qsimcirq

    q = cirq.LineQubit.range(n)
    rot = {"RX": cirq.rx, "RY": cirq.ry, "RZ": cirq.rz}
    two = {"CNOT": cirq.CNOT, "CZ": cirq.CZ}
    circuit = cirq.Circuit(
        [rot[name](p)(q[w[0]]) if p is not None else two[name](q[w[0]], q[w[1]]) for name, w, p in ops]
    )
    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads))

    def run() -> Any:  # cirq's qubit order: LineQubit(0) is the most significant bit, as in qml
        return sim.simulate(circuit, qubit_order=q).final_state_vector

    return run


def qulacs_state(n: int, ops: Sequence[Op], optimize: bool) -> Callable[[], Any]:
    need("qulacs")
    import qulacs

    circuit = qulacs.QuantumCircuit(n)
    for name, w, p in ops:
        if p is None:
            getattr(circuit, f"add_{name}_gate")(*w)
        else:  # qulacs: R_P(theta) = exp(+i theta P / 2)
            getattr(circuit, f"add_{name}_gate")(w[0], -p)
    if optimize:
        from qulacs.circuit import QuantumCircuitOptimizer

        QuantumCircuitOptimizer().optimize_light(circuit)
    state = qulacs.QuantumState(n)

    def run() -> Any:
        state.set_zero_state()
        circuit.update_quantum_state(state)
        return state

    return run


def tc_state(n: int, ops: Sequence[Op], dtype: str, info: dict[str, Any]) -> Callable[[], Any]:
    tc, jax = tensorcircuit(dtype)
    angles = np.array(
        [p for _, _, p in ops if p is not None], dtype=np.float32 if dtype == "complex64" else float
    )

    def state(a: Any) -> Any:
        c = tc.Circuit(n)
        tc_apply(c, ops, w=a)
        return c.state()

    compiled = tc_compile(jax, state, (angles,), info)

    def run() -> Any:
        return compiled(angles).block_until_ready()

    return run


def forward_contenders(n: int, layers: int, s: Settings, info: dict[str, dict[str, Any]]) -> list[Contender]:
    ops = random_layout(n, layers, s.seed)
    ref = native_state(n, ops, torch.complex128)().numpy()

    def check(order: str = "big") -> Callable[[Any], float]:
        def dev(res: Any) -> float:
            if hasattr(res, "get_vector"):
                res = res.get_vector()
            v = np.asarray(res.numpy() if isinstance(res, torch.Tensor) else res)
            return state_deviation(little_to_big_endian(v, n) if order == "little" else v, ref)

        return dev

    c128, c64 = "complex128", "complex64"
    tc_info = info.setdefault("tc-jax-c64", {})
    specs = [
        ("qml-c128", c128, lambda: native_state(n, ops, torch.complex128), check()),
        ("qml-c64", c64, lambda: native_state(n, ops, torch.complex64), check()),
        ("qsim-c64", c64, lambda: qsim_state(n, ops, s.threads), check()),
        ("qulacs-c128", c128, lambda: qulacs_state(n, ops, False), check("little")),
        ("qulacs-opt-c128", c128, lambda: qulacs_state(n, ops, True), check("little")),
        ("tc-jax-c64", c64, lambda: tc_state(n, ops, c64, tc_info), check()),
    ]
    return [
        Contender(name, dt, build, chk, tolerance=STATE_TOLERANCE[dt])
        for name, dt, build, chk in specs
        if s.wants(name)
    ]


# ----------------------------------------------------------------------------------------
# train: batched loss + weight gradient
# ----------------------------------------------------------------------------------------

Result = tuple[float, np.ndarray]


def native_train(circuit: Circuit, x: np.ndarray, w: np.ndarray, dtype: torch.dtype) -> Callable[[], Result]:
    sim = Simulator(dtype=dtype, diff="auto")
    obs = terms_native(z_sum_terms(circuit.n_wires))
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    xt, w0 = torch.tensor(x, dtype=real), torch.tensor(w, dtype=real)

    def step() -> Result:
        wt = w0.clone().requires_grad_(True)
        loss = sim.expval(circuit, obs, wt, xt).mean()
        loss.backward()
        return float(loss.detach()), wt.grad.detach().to(torch.float64).numpy().copy()

    return step


def tc_train(
    n: int, ops: Sequence[Op], x: np.ndarray, w: np.ndarray, dtype: str, info: dict[str, Any]
) -> Callable[[], Result]:
    tc, jax = tensorcircuit(dtype)
    K = tc.backend
    real = np.float32 if dtype == "complex64" else np.float64
    xs, w0 = x.astype(real), w.astype(real)
    z_terms = z_sum_terms(n)

    def one(xi: Any, wv: Any) -> Any:
        c = tc.Circuit(n)
        tc_apply(c, ops, x=xi, w=wv)
        return tc_terms(c, z_terms, K)

    def loss(wv: Any, xb: Any) -> Any:
        return jax.numpy.mean(jax.vmap(one, in_axes=(0, None))(xb, wv))

    compiled = tc_compile(jax, jax.value_and_grad(loss), (w0, xs), info)

    def step() -> Result:
        val, grad = compiled(w0, xs)
        return float(val), np.asarray(grad, dtype=np.float64)

    return step


def pennylane_train(n: int, ops: Sequence[Op], x: np.ndarray, w: np.ndarray) -> Callable[[], Result]:
    need("pennylane")
    import pennylane as qp

    dev = pennylane_device("default.qubit", n, "complex128")
    obs = terms_pennylane(z_sum_terms(n))

    @qp.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(xb: Any, wb: Any) -> Any:
        for name, wires, p in ops:
            if p is None:
                getattr(qp, name)(wires=list(wires))
            else:
                getattr(qp, name)(xb[..., p[1]] if p[0] == "x" else wb[p[1]], wires=wires[0])
        return qp.expval(obs)

    xt, w0 = torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64)

    def step() -> Result:
        wt = w0.clone().requires_grad_(True)
        loss = circuit(xt, wt).mean()
        loss.backward()
        return float(loss.detach()), wt.grad.detach().numpy().copy()

    return step


def torchquantum_train(n: int, ops: Sequence[Op], x: np.ndarray, w: np.ndarray) -> Callable[[], Result]:
    tq, tqf, _ = import_torchquantum()
    gates = {"RX": tqf.rx, "RY": tqf.ry, "RZ": tqf.rz, "CNOT": tqf.cnot}
    observables = [tq.PauliZ() for _ in range(n)]
    xt, w0 = torch.tensor(x, dtype=torch.float32), torch.tensor(w, dtype=torch.float32)
    batch, wires = x.shape[0], list(range(n))

    def step() -> Result:
        wt = w0.clone().requires_grad_(True)
        qdev = tq.QuantumDevice(n_wires=n, bsz=batch)
        for name, ws, p in ops:
            if p is None:
                gates[name](qdev, wires=list(ws))
            else:
                gates[name](qdev, wires=ws[0], params=xt[:, p[1]] if p[0] == "x" else wt[p[1]])
        loss = tq.measurement.expval(qdev, wires, observables).sum(-1).mean()
        loss.backward()
        return float(loss.detach()), wt.grad.detach().to(torch.float64).numpy().copy()

    return step


def train_contenders(
    n: int, batch: int, kind: str, x: np.ndarray, w: np.ndarray, s: Settings, info: dict[str, dict[str, Any]]
) -> list[Contender]:
    circuit = train_circuit(n, TRAIN_LAYERS, kind)
    ops = hea_layout(n, TRAIN_LAYERS, kind)
    ref = native_train(circuit, x, w, torch.complex128)()

    def check(res: Result) -> float:
        return value_grad_deviation(res, ref)

    c128, c64 = "complex128", "complex64"
    tc_name = f"tc-jax-{SHORT[s.dtype]}"
    tc_info = info.setdefault(tc_name, {})
    specs = [
        ("qml-auto-c128", c128, lambda: native_train(circuit, x, w, torch.complex128)),
        ("qml-auto-c64", c64, lambda: native_train(circuit, x, w, torch.complex64)),
        (tc_name, s.dtype, lambda: tc_train(n, ops, x, w, s.dtype, tc_info)),
        ("pl-default-backprop", c128, lambda: pennylane_train(n, ops, x, w)),
        ("tq-c64", c64, lambda: torchquantum_train(n, ops, x, w)),
    ]
    return [Contender(nm, dt, b, check, tolerance=TOLERANCE[dt]) for nm, dt, b in specs if s.wants(nm)]


# ----------------------------------------------------------------------------------------
# energy: one circuit's energy + gradient
# ----------------------------------------------------------------------------------------


def native_energy(n: int, layers: int, w: np.ndarray, dtype: torch.dtype, diff: str) -> Callable[[], Result]:
    sim = Simulator(dtype=dtype, diff=diff)  # type: ignore[arg-type]
    circuit = hea_circuit(n, layers, encode=False)
    ham = terms_native(tfim_terms(n))
    w0 = torch.tensor(w, dtype=torch.float32 if dtype == torch.complex64 else torch.float64)

    def run() -> Result:
        wt = w0.clone().requires_grad_(True)
        e = sim.expval(circuit, ham, wt)
        e.backward()
        return float(e.detach()), wt.grad.to(torch.float64).numpy().copy()

    return run


def qulacs_energy(n: int, layers: int, w: np.ndarray) -> Callable[[], Result]:
    need("qulacs")
    import qulacs

    pc = qulacs.ParametricQuantumCircuit(n)
    widx: list[int] = []  # weight index of each qulacs parameter, in the order they were added
    for name, wires, p in hea_layout(n, layers, "none"):
        if p is None:
            getattr(pc, f"add_{name}_gate")(*wires)
        else:
            getattr(pc, f"add_parametric_{name}_gate")(wires[0], 0.0)
            widx.append(p[1])
    obs = qulacs.Observable(n)  # Pauli labels name qubits, so the bit order does not enter here
    for coeff, d in tfim_terms(n):
        obs.add_operator(coeff, " ".join(f"{letter} {wire}" for wire, letter in sorted(d.items())))
    state = qulacs.QuantumState(n)
    idx = np.asarray(widx)
    neg = -np.asarray(w, dtype=float)[idx]  # qulacs: R_P(theta) = exp(+i theta P / 2)

    def run() -> Result:
        for j, v in enumerate(neg):
            pc.set_parameter(j, float(v))
        state.set_zero_state()
        pc.update_quantum_state(state)
        e = obs.get_expectation_value(state)
        g = np.zeros(w.size)
        np.add.at(g, idx, -np.asarray(pc.backprop(obs)))
        return float(np.real(e)), g

    return run


def tc_energy(
    n: int, layers: int, w: np.ndarray, dtype: str, scan: bool, info: dict[str, Any]
) -> Callable[[], Result]:
    tc, jax = tensorcircuit(dtype)
    K, jnp = tc.backend, jax.numpy
    terms = tfim_terms(n)
    w0 = w.astype(np.float32 if dtype == "complex64" else np.float64)
    one_layer = hea_layout(n, 1, "none")  # weights 0 .. 2n-1 of one layer

    def energy(wv: Any) -> Any:
        if scan:

            def body(psi: Any, wl: Any) -> tuple[Any, None]:
                c = tc.Circuit(n, inputs=psi)
                tc_apply(c, one_layer, w=wl)
                return c.state(), None

            psi0 = jnp.zeros(2**n, dtype=dtype).at[0].set(1.0)
            psi, _ = jax.lax.scan(body, psi0, wv.reshape(layers, 2 * n))
            c = tc.Circuit(n, inputs=psi)
        else:
            c = tc.Circuit(n)
            tc_apply(c, hea_layout(n, layers, "none"), w=wv)
        return tc_terms(c, terms, K)

    compiled = tc_compile(jax, jax.value_and_grad(energy), (w0,), info)

    def run() -> Result:
        val, grad = compiled(w0)
        return float(val), np.asarray(grad, dtype=np.float64)

    return run


def lightning_energy(n: int, layers: int, w: np.ndarray, dtype: str) -> Callable[[], Result]:
    need("pennylane_lightning")
    import pennylane as qp

    dev = pennylane_device("lightning.qubit", n, dtype)
    ham = terms_pennylane(tfim_terms(n))

    @qp.qnode(dev, interface="autograd", diff_method="adjoint")
    def energy(wb: Any) -> Any:
        hea_pennylane(None, wb, n, layers)
        return qp.expval(ham)

    grad_fn = qp.grad(energy)
    w0 = qp.numpy.array(w, requires_grad=True)

    def run() -> Result:
        g = grad_fn(w0)
        return float(grad_fn.forward), np.asarray(g, dtype=np.float64)

    return run


def energy_contenders(
    n: int, layers: int, w: np.ndarray, s: Settings, info: dict[str, dict[str, Any]], max_gates: int
) -> list[Contender]:
    ref = native_energy(n, layers, w, torch.complex128, "adjoint")()

    def check(res: Result) -> float:
        return value_grad_deviation(res, ref)

    c128, c64 = "complex128", "complex64"
    d = SHORT[s.dtype]
    gates = len(hea_layout(n, layers, "none"))

    def tc_unrolled() -> Callable[[], Result]:
        if gates > max_gates:
            raise Skip(
                f"unrolled jit: {gates} gates > --tc-max-gates {max_gates} (its compile time grows "
                f"quickly with the gate count); tc-jax-scan-{d} covers this size"
            )
        return tc_energy(n, layers, w, s.dtype, False, info.setdefault(f"tc-jax-{d}", {}))

    specs = [
        ("qml-auto-c128", c128, lambda: native_energy(n, layers, w, torch.complex128, "auto")),
        ("qml-adjoint-c128", c128, lambda: native_energy(n, layers, w, torch.complex128, "adjoint")),
        ("qml-auto-c64", c64, lambda: native_energy(n, layers, w, torch.complex64, "auto")),
        ("qulacs-c128", c128, lambda: qulacs_energy(n, layers, w)),
        (f"tc-jax-{d}", s.dtype, tc_unrolled),
        (
            f"tc-jax-scan-{d}",
            s.dtype,
            lambda: tc_energy(n, layers, w, s.dtype, True, info.setdefault(f"tc-jax-scan-{d}", {})),
        ),
        (f"pl-lightning-adjoint-{d}", s.dtype, lambda: lightning_energy(n, layers, w, s.dtype)),
    ]
    return [Contender(nm, dt, b, check, tolerance=TOLERANCE[dt]) for nm, dt, b in specs if s.wants(nm)]


# ----------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------


def family(contender: str) -> str:
    """The package family of a contender name (``qsim-c64`` -> ``qsim``)."""
    return contender.split("-", 1)[0]


def reference_of(row: dict[str, Any]) -> str:
    """Ratios compare with the native contender of the same precision (``qml[-auto]-c128/-c64``)."""
    native = "qml" if row["workload"] == "forward" else "qml-auto"
    return f"{native}-{SHORT[row['dtype']]}"


def _annotate(
    rows: list[dict[str, Any]],
    info: dict[str, dict[str, Any]],
    s: Settings,
    registry: SlowRegistry,
    size_keys: Sequence[str],
    max_compile: float,
) -> None:
    """Per row: ``peer_version``; for TensorCircuit rows the ``compile_s`` of their build (then
    cleared); a compile above ``max_compile`` skips that contender's larger configurations."""
    for r in rows:
        r["peer_version"] = peer_version(family(r["contender"]), s)
        got = info.get(r["contender"])
        if got and "compile_s" in got:
            r["compile_s"] = got.pop("compile_s")
            if r["compile_s"] > max_compile:
                registry.add(r["contender"], {k: int(r[k]) for k in size_keys if r.get(k) is not None})
                print(
                    f"{r['contender']}: compile took {r['compile_s']:.1f} s > --max-compile; "
                    "larger sizes skipped"
                )


def settle() -> None:
    """Collect, then freeze the surviving objects (``gc.freeze``): with jax, torch, PennyLane and
    cirq loaded, each of the protocol's untimed ``gc.collect()`` calls took ~0.25 s scanning
    their long-lived objects; frozen ones are not scanned again (nothing timed changes: the timed
    rounds run with the collector paused)."""
    gc.collect()
    gc.freeze()


def run_forward(s: Settings, ns: Sequence[int], layers: int, max_compile: float) -> list[dict[str, Any]]:
    registry, info = SlowRegistry(), {}
    rows: list[dict[str, Any]] = []
    for n in sorted(ns):
        case = {"workload": "forward", "n": n, "L": layers}
        settle()
        got = run_cases(case, forward_contenders(n, layers, s, info), s, registry=registry, size_keys=("n",))
        _annotate(got, info, s, registry, ("n",), max_compile)
        rows += got
    return rows


def run_train(
    s: Settings, ns: Sequence[int], bs: Sequence[int], circuits: Sequence[str], max_compile: float
) -> list[dict[str, Any]]:
    from benchmarks.bench_w1 import make_data

    rows: list[dict[str, Any]] = []
    for kind in circuits:
        registry, info = SlowRegistry(), {}
        for cfg in iter_grid(B=sorted(bs), n=sorted(ns)):
            n, batch = cfg["n"], cfg["B"]
            x, w = make_data(n, batch, TRAIN_LAYERS, s.seed)
            case = {"workload": "train", "circuit": kind, "n": n, "B": batch, "L": TRAIN_LAYERS}
            contenders = train_contenders(n, batch, kind, x, w, s, info)
            settle()
            got = run_cases(case, contenders, s, registry=registry)
            _annotate(got, info, s, registry, ("n", "B", "L"), max_compile)
            rows += got
    return rows


def run_energy(
    s: Settings, pairs: Sequence[tuple[int, int]], max_compile: float, max_gates: int
) -> list[dict[str, Any]]:
    registry, info = SlowRegistry(), {}
    rows: list[dict[str, Any]] = []
    for n, layers in sorted(pairs):
        w = np.random.default_rng([s.seed, n, layers]).uniform(0, 2 * math.pi, 2 * n * layers)
        case = {"workload": "energy", "n": n, "L": layers}
        contenders = energy_contenders(n, layers, w, s, info, max_gates)
        settle()
        got = run_cases(case, contenders, s, registry=registry, size_keys=("n", "L"))
        _annotate(got, info, s, registry, ("n", "L"), max_compile)
        rows += got
    return rows


def _pair(text: str) -> tuple[int, int]:
    n, _, layers = text.lower().partition("x")
    return int(n), int(layers)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    p.add_argument("--n", type=int, nargs="+", help="forward: qubit counts (overrides the grid)")
    p.add_argument("--forward-layers", type=int, default=10, help="forward: layers of the random circuit")
    p.add_argument("--train-n", type=int, nargs="+", help="train: qubit counts (overrides the grid)")
    p.add_argument("--batch", type=int, nargs="+", help="train: batch sizes (overrides the grid)")
    p.add_argument("--circuits", nargs="+", choices=CIRCUITS, default=list(CIRCUITS), help="train circuits")
    p.add_argument("--pairs", type=_pair, nargs="+", help="energy: NxL pairs, e.g. 12x6 (overrides the grid)")
    p.add_argument(
        "--max-compile",
        type=float,
        default=60.0,
        help="skip a TensorCircuit contender's larger configurations once its jit compile took longer",
    )
    p.add_argument(
        "--tc-max-gates",
        type=int,
        default=250,
        help="energy: largest circuit (gates) for the unrolled TensorCircuit gradient "
        "(the scan variant runs always)",
    )
    return p.parse_args(argv)


def _xla_threads(threads: int) -> str:
    """Make XLA single-threaded for ``--threads 1`` (only possible before jax loads); describe the setting."""
    if threads == 1 and "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        return "1 (XLA_FLAGS)"
    return f"all {os.cpu_count()} cores (XLA's default; --threads only applies to the other libraries)"


KEY_FIELDS = {"forward": ("n", "L"), "train": ("circuit", "B", "L", "n"), "energy": ("n", "L")}


def run_workload(
    workload: str, args: argparse.Namespace, s: Settings, grid: dict[str, Any], meta: dict[str, Any]
) -> list[dict[str, Any]]:
    """One workload: its rows (with ratios), and its files ``peers_<workload>.*``."""
    if workload == "forward":
        rows = run_forward(s, args.n or grid["forward"], args.forward_layers, args.max_compile)
        title = f"forward: final state of a random {args.forward_layers}-layer circuit"
    elif workload == "train":
        ns, bs = args.train_n or grid["train_n"], args.batch or grid["train_B"]
        rows = run_train(s, ns, bs, args.circuits, args.max_compile)
        title = f"train: loss + weight gradient, batch B, L={TRAIN_LAYERS}, loss = mean_b <sum Z>"
    else:
        rows = run_energy(s, args.pairs or grid["energy"], args.max_compile, args.tc_max_gates)
        title = "energy: TFIM energy + gradient of one HEA circuit"
    add_ratios(rows, reference_of, KEY_FIELDS[workload])
    if s.profile:
        profile_native(workload, args, s, grid)
    if _TQ:
        meta["torchquantum_stand_ins"] = _TQ["stand_ins"]
    finish(
        rows,
        s,
        f"peers_{workload}",
        KEY_FIELDS[workload],
        ("circuit", "B") if workload == "train" else (),
        f"{title}; {s.threads} threads; ratio = time / native of the same dtype",
        meta,
    )
    return rows


def profile_native(workload: str, args: argparse.Namespace, s: Settings, grid: dict[str, Any]) -> None:
    """``--profile``: profile the native complex128 contender at the workload's largest size
    (train: every circuit at the largest ``n`` and ``B``)."""
    if workload == "forward":
        n = max(args.n or grid["forward"])
        fn = native_state(n, random_layout(n, args.forward_layers, s.seed), torch.complex128)
        profile_call(fn, f"peers_forward_n{n}", s)
    elif workload == "train":
        from benchmarks.bench_w1 import make_data

        n, batch = max(args.train_n or grid["train_n"]), max(args.batch or grid["train_B"])
        x, w = make_data(n, batch, TRAIN_LAYERS, s.seed)
        for kind in args.circuits:
            fn = native_train(train_circuit(n, TRAIN_LAYERS, kind), x, w, torch.complex128)
            profile_call(fn, f"peers_train_{kind}_n{n}_B{batch}", s)
    else:
        n, layers = max(args.pairs or grid["energy"])
        w = np.random.default_rng([s.seed, n, layers]).uniform(0, 2 * math.pi, 2 * n * layers)
        profile_call(native_energy(n, layers, w, torch.complex128, "auto"), f"peers_energy_n{n}_L{layers}", s)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run the peer workloads and write ``peers_<workload>.*`` to ``--out``; returns all rows."""
    args = parse_args(argv)
    s = apply_settings(args)
    grid = GRIDS["quick" if args.quick else "full" if args.full else "default"]
    meta = {
        "xla_threads": _xla_threads(s.threads),
        "tolerance": TOLERANCE,
        "state_tolerance": STATE_TOLERANCE,
    }
    rows: list[dict[str, Any]] = []
    try:
        for workload in args.workloads:
            rows += run_workload(workload, args, s, grid, meta)
    finally:
        gc.unfreeze()  # settle() froze the long-lived objects: give them back to the collector
    return rows


if __name__ == "__main__":
    main()
