"""MPS peers: the native MPS simulator against PennyLane ``default.tensor`` and Qiskit Aer MPS.

Workload: one VQE step of an open TFIM (``h = 1``) or Heisenberg chain of ``N`` sites with the
problem's HVA ansatz of ``L`` layers (:func:`qml.problems.get_problem`, ``ansatz(L, "hva")``),
random weights ``U[0, 0.5)`` (seeded per model, ``N`` and ``L``, the same for every ``chi``),
energy ``<H>`` of the problem's Hamiltonian. Every simulator keeps at most ``chi`` singular
values per bond.

Contenders (all exact expectation values, no shots):

* ``qml-fwd-c128`` / ``qml-fwd-c64``: :class:`qml.mps.MPSSimulator` (``bond_dim=chi``, default
  cutoff ``1e-12``), ``expval_with_error`` under ``torch.no_grad()``, complex128 / complex64.
  ``qml-fwd-c128`` is the reference of the ``check`` and ``ratio_vs_native`` columns; its
  rows carry our truncation error (``trunc_err``), error bound and largest bond.
* ``qml-grad-c128``: the energy and its gradient (``e.backward()``), complex128. While
  autograd records, the simulator first runs without any truncation (zero singular values
  kept, bonds up to ``chi``) and restarts in canonical form with the cutoff when a bond would
  exceed ``chi`` (:mod:`qml.mps.evolve`): its bonds can be larger than the forward run's, and
  where ``chi`` truncates it also pays for the abandoned first run.
* ``pl-tensor``: PennyLane ``default.tensor`` (``method="mps"``, ``max_bond_dim=chi``,
  ``c_dtype=complex128``, PennyLane's defaults otherwise: no cutoff, gates by ``auto-mps``),
  circuit from :func:`qml.interop.pennylane.to_pennylane`, Hamiltonian from
  :func:`qml.backends.pennylane_backend.to_pennylane_observable`; forward only (the device has
  no derivatives). It computes a ``LinearCombination`` term by term, each on a copy of the MPS.
* ``pl-tensor-cut``: the same device with ``cutoff=1e-12``, which quimb applies in its
  ``rsum2`` mode (singular values dropped while their summed squares stay below ``1e-12`` of
  the total): up to 1e-12 of discarded weight per split, far more than our cutoff drops
  (singular values below ``1e-12`` times the norm), so its values differ by up to ~1e-6.
* ``aer-mps``: ``AerSimulator(method="matrix_product_state",
  matrix_product_state_max_bond_dimension=chi, max_parallel_threads=T, mps_omp_threads=T)``
  (default truncation threshold 1e-16 on the discarded squared weight), circuit from
  :func:`qml.interop.qiskit.to_qiskit` with one ``save_expectation_value`` per Hamiltonian term
  on that term's qubits; the weights are bound by ``parameter_binds`` in the timed ``run``.
* ``aer-mps-estimator``: Aer's ``EstimatorV2`` (``default_precision=0``) with the same backend
  options and the Hamiltonian as a ``SparsePauliOp``: the standard primitive path, which saves
  every Pauli term as a Pauli string over all ``N`` qubits.

Timed: one call of the step (building the tape / binding parameters included). The peers'
values are checked against ``qml-fwd-c128``: they agree to ~1e-8 or better where nothing is
truncated; where ``chi`` truncates the rows record both values (``value``) and the difference
(``check``) instead of failing. ``--dtype`` is not used: each contender's precision is in its
name. Threads: Aer's and torch's OpenMP regions stall when another process holds one of
the cores, so on a shared machine ``--threads 1`` gives the meaningful figures (NOTES.md).

Run from the repository root (``--threads`` sets the thread variables before numpy loads)::

    python benchmarks/mps_peers.py --quick     # N = 32, chi = 16, L = 1: < 1 minute
    python benchmarks/mps_peers.py             # N {32, 64, 128} x L {2, 4} x chi {16, 32, 64}
    python benchmarks/mps_peers.py --models heisenberg --n 64 --layers 4 --chi 16 64
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    Contender,
    Settings,
    SlowRegistry,
    add_ratios,
    apply_settings,
    base_parser,
    finish,
    iter_grid,
    np,
    run_cases,
    torch,
)
from qml.ir import Circuit
from qml.mps import MPSSimulator
from qml.paulis import PauliSum
from qml.problems import get_problem

WORKLOAD = "mps-peers"
REFERENCE = "qml-fwd-c128"
KEY_FIELDS = ("model", "L", "chi", "n")
SIZE_KEYS = ("n", "L", "chi")
CONTENDERS = (
    "qml-fwd-c128",
    "qml-fwd-c64",
    "qml-grad-c128",
    "pl-tensor",
    "pl-tensor-cut",
    "aer-mps",
    "aer-mps-estimator",
)
MODELS = {"tfim": {"h": 1.0}, "heisenberg": {}}
GRIDS = {
    "quick": {"n": [32], "L": [1], "chi": [16]},
    "default": {"n": [32, 64, 128], "L": [2, 4], "chi": [16, 32, 64]},
    "full": {"n": [32, 64, 128, 256], "L": [2, 4, 6], "chi": [16, 32, 64, 128]},
}
WEIGHT_SCALE = 0.5
PL_CUTOFF = 1e-12


@dataclass
class Result:
    """What one call of a contender gives: the energy, and what the simulator says about it."""

    value: float
    trunc_err: float | None = None
    err_bound: float | None = None
    max_bond: int | None = None
    grad_norm: float | None = None


@dataclass(frozen=True)
class Config:
    """One configuration: the circuit, Hamiltonian and weights shared by every contender."""

    model: str
    n: int
    layers: int
    chi: int
    circuit: Circuit
    hamiltonian: PauliSum
    weights: torch.Tensor  # (n_weights,) float64


def make_config(model: str, n: int, layers: int, chi: int, seed: int) -> Config:
    """The HVA circuit of ``model`` on ``n`` open-chain sites and weights ``U[0, 0.5)``."""
    p = get_problem(model, n=n, periodic=False, **MODELS[model])
    c = p.ansatz(layers, "hva")
    gen = torch.Generator().manual_seed(seed * 1_000_003 + 1009 * n + 17 * layers + list(MODELS).index(model))
    w = torch.rand(c.n_weights, generator=gen, dtype=torch.float64) * WEIGHT_SCALE
    return Config(model, n, layers, chi, c, p.hamiltonian, w)


# ----------------------------------------------------------------------------------------
# Contenders: each builder prepares everything untimed and returns the timed call
# ----------------------------------------------------------------------------------------


def qml_forward(cfg: Config, dtype: torch.dtype) -> Callable[[], Result]:
    """Our MPS energy without gradient (``expval_with_error`` costs the same as ``expval``)."""
    sim = MPSSimulator(bond_dim=cfg.chi, dtype=dtype)
    w = cfg.weights.to(torch.float32 if dtype == torch.complex64 else torch.float64)

    def call() -> Result:
        with torch.no_grad():
            r = sim.expval_with_error(cfg.circuit, cfg.hamiltonian, w)
        return Result(float(r.values), float(r.truncation_error), float(r.error_bound), r.max_bond)

    return call


def qml_gradient(cfg: Config) -> Callable[[], Result]:
    """Our MPS energy and its gradient by autograd (complex128)."""
    sim = MPSSimulator(bond_dim=cfg.chi, dtype=torch.complex128)

    def call() -> Result:
        w = cfg.weights.clone().requires_grad_(True)
        r = sim.expval_with_error(cfg.circuit, cfg.hamiltonian, w)
        r.values.backward()
        assert w.grad is not None
        return Result(
            float(r.values.detach()),
            float(r.truncation_error),
            float(r.error_bound),
            r.max_bond,
            float(w.grad.norm()),
        )

    return call


def pennylane_forward(cfg: Config, cutoff: float | None) -> Callable[[], Result]:
    """PennyLane ``default.tensor`` (MPS) energy: QNode queueing our circuit, ``expval(H)``."""
    import pennylane as qp

    from qml.backends.pennylane_backend import to_pennylane_observable
    from qml.interop.pennylane import to_pennylane

    opts: dict[str, Any] = {"method": "mps", "max_bond_dim": cfg.chi, "c_dtype": np.complex128}
    if cutoff is not None:
        opts["cutoff"] = cutoff
    dev = qp.device("default.tensor", wires=cfg.n, **opts)
    qfunc = to_pennylane(cfg.circuit)
    obs = to_pennylane_observable(cfg.hamiltonian)

    @qp.qnode(dev)
    def energy(w: np.ndarray) -> Any:
        qfunc(w)
        return qp.expval(obs)

    w = cfg.weights.numpy().copy()

    def call() -> Result:
        value = float(energy(w))
        try:  # the bond quimb reached (private attribute of the device: informative only)
            bond = int(dev._quimb_circuit.psi.max_bond())
        except Exception:
            bond = None
        return Result(value, max_bond=bond)

    return call


def _aer_options(chi: int, threads: int) -> dict[str, Any]:
    return {
        "method": "matrix_product_state",
        "matrix_product_state_max_bond_dimension": chi,
        "max_parallel_threads": threads,
        "mps_omp_threads": threads,
    }


def _qiskit_circuit(cfg: Config) -> tuple[Any, list[Any]]:
    """Our circuit in Qiskit and its parameters, checked to be exactly the weights in order."""
    from qml.interop.qiskit import to_qiskit

    qc, wv, _ = to_qiskit(cfg.circuit)
    params = list(qc.parameters)
    if params != list(wv):
        raise RuntimeError("the Qiskit circuit's parameters are not the weight vector in order")
    return qc, params


def aer_forward(cfg: Config, threads: int) -> Callable[[], Result]:
    """Aer MPS energy: one ``save_expectation_value`` per Hamiltonian term on its own qubits."""
    from qiskit.quantum_info import Pauli
    from qiskit_aer import AerSimulator

    qc, params = _qiskit_circuit(cfg)
    const, terms = 0.0, []
    for k, (coeff, s) in enumerate(cfg.hamiltonian.terms):
        if s.is_identity:
            const += float(coeff)
            continue
        wires = [w for w, _ in s.ops]
        # Qiskit labels are little-endian: the first of `wires` is the rightmost letter
        qc.save_expectation_value(Pauli("".join(ltr for _, ltr in s.ops)[::-1]), wires, label=f"t{k}")
        terms.append((f"t{k}", float(coeff)))
    backend = AerSimulator(**_aer_options(cfg.chi, threads))
    w = cfg.weights.numpy()

    def call() -> Result:
        binds = [{p: [float(w[i])] for i, p in enumerate(params)}]
        data = backend.run(qc, parameter_binds=binds).result().data(0)
        return Result(const + sum(c * float(np.real(data[label])) for label, c in terms))

    return call


def aer_estimator_forward(cfg: Config, threads: int) -> Callable[[], Result]:
    """Aer ``EstimatorV2`` (exact) on the MPS method: the Hamiltonian as one ``SparsePauliOp``."""
    from qiskit_aer.primitives import EstimatorV2

    from qml.backends.qiskit_common import to_sparse_pauli

    qc, _ = _qiskit_circuit(cfg)
    obs = to_sparse_pauli(cfg.hamiltonian, cfg.n)
    est = EstimatorV2(options={"default_precision": 0.0, "backend_options": _aer_options(cfg.chi, threads)})
    w = cfg.weights.numpy().copy()

    def call() -> Result:
        return Result(float(np.asarray(est.run([(qc, obs, w)]).result()[0].data.evs)))

    return call


def builders(cfg: Config, s: Settings) -> dict[str, tuple[str, Callable[[], Callable[[], Result]]]]:
    """``{contender: (dtype used, builder of the timed call)}`` in warm-up order (reference first)."""
    return {
        "qml-fwd-c128": ("complex128", lambda: qml_forward(cfg, torch.complex128)),
        "qml-fwd-c64": ("complex64", lambda: qml_forward(cfg, torch.complex64)),
        "qml-grad-c128": ("complex128", lambda: qml_gradient(cfg)),
        "pl-tensor": ("complex128", lambda: pennylane_forward(cfg, None)),
        "pl-tensor-cut": ("complex128", lambda: pennylane_forward(cfg, PL_CUTOFF)),
        "aer-mps": ("complex128", lambda: aer_forward(cfg, s.threads)),
        "aer-mps-estimator": ("complex128", lambda: aer_estimator_forward(cfg, s.threads)),
    }


# ----------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------


def mps_tree_hash() -> str:
    """Short SHA-1 of the ``qml/mps`` sources (not covered by the rows' ``qml_tree`` hash)."""
    import hashlib

    import qml.mps

    h = hashlib.sha1()
    for f in sorted(Path(qml.mps.__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS), help="chains")
    p.add_argument("--n", type=int, nargs="+", help="chain lengths (overrides the grid)")
    p.add_argument("--layers", type=int, nargs="+", help="HVA layers (overrides the grid)")
    p.add_argument("--chi", type=int, nargs="+", help="bond dimensions (overrides the grid)")
    return p.parse_args(argv)


def run_config(cfg: Config, s: Settings, registry: SlowRegistry) -> list[dict[str, Any]]:
    """Warm up and time the selected contenders on ``cfg``; rows get the values and truncation data."""
    got: dict[str, Result] = {}
    ref: dict[str, Result] = {}

    def reference() -> Result:
        if REFERENCE not in ref:  # qml-fwd-c128 not selected: one untimed reference run
            ref[REFERENCE] = got.get(REFERENCE) or qml_forward(cfg, torch.complex128)()
        return ref[REFERENCE]

    def checker(name: str) -> Callable[[Result], float | None]:
        def check(res: Result) -> float | None:
            got[name] = res
            if name == REFERENCE:
                ref[REFERENCE] = res
                return 0.0
            return abs(res.value - reference().value)

        return check

    contenders = [
        Contender(name, dtype, build, checker(name))
        for name, (dtype, build) in builders(cfg, s).items()
        if s.wants(name)
    ]
    case = {
        "workload": WORKLOAD,
        "model": cfg.model,
        "n": cfg.n,
        "L": cfg.layers,
        "chi": cfg.chi,
        "n_weights": cfg.circuit.n_weights,
        "n_terms": len(cfg.hamiltonian.terms),
    }
    rows = run_cases(case, contenders, s, registry=registry, size_keys=SIZE_KEYS)
    for r in rows:
        res = got.get(r["contender"])
        r.update(
            value=None if res is None else res.value,
            trunc_err=None if res is None else res.trunc_err,
            err_bound=None if res is None else res.err_bound,
            max_bond=None if res is None else res.max_bond,
            grad_norm=None if res is None else res.grad_norm,
        )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run the grid and write ``mps_peers.{csv,json,md,png}`` to ``--out``; returns the rows."""
    args = parse_args(argv)
    s = apply_settings(args)
    logging.getLogger("qml.mps").setLevel(logging.ERROR)  # truncation is recorded in the rows instead
    warnings.filterwarnings("ignore", module="pennylane")
    grid = GRIDS["quick" if args.quick else "full" if args.full else "default"]
    ns, ls, chis = args.n or grid["n"], args.layers or grid["L"], args.chi or grid["chi"]
    rows: list[dict[str, Any]] = []
    for model in args.models:
        registry = SlowRegistry()  # per model: a slow Heisenberg size says nothing about the TFIM
        for point in iter_grid(L=sorted(ls), chi=sorted(chis), n=sorted(ns)):
            cfg = make_config(model, point["n"], point["L"], point["chi"], s.seed)
            rows.extend(run_config(cfg, s, registry))
    add_ratios(rows, REFERENCE, KEY_FIELDS)
    finish(
        rows,
        s,
        "mps_peers",
        KEY_FIELDS,
        ("model", "L", "chi"),
        f"MPS VQE step (HVA, open chains), {s.threads} threads; ratio = time / {REFERENCE}",
        {
            "reference": REFERENCE,
            "weights": f"U[0, {WEIGHT_SCALE})",
            "pl_cutoff": PL_CUTOFF,
            "qml_mps_tree": mps_tree_hash(),
            "grid": {"models": args.models, "n": ns, "L": ls, "chi": chis},
        },
    )
    return rows


if __name__ == "__main__":
    main()
