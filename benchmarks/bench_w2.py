"""W2: VQE gradient of the periodic transverse-field Ising energy, one unbatched circuit.

Circuit: :func:`benchmarks.common.hea_circuit` without encoding (``L`` layers of
``RY(w), RZ(w)`` on every wire and a CNOT ladder; default ``L = 5``). Energy:
``H = -sum_i Z_i Z_{i+1} - sum_i X_i`` with periodic boundary (``2n`` terms). Timed: the
energy and its gradient with respect to all ``2 n L`` weights.

Contenders:

* ``qml-adjoint-c128`` / ``qml-adjoint-c64``: the native simulator with ``diff="adjoint"`` in
  complex128 / complex64 (both always run; the ``--dtype`` one is the ratio reference).
* ``qml-forward``: the native energy without gradient (reference of the Aer forward row).
* ``pl-lightning-adjoint``: ``lightning.qubit``, ``diff_method="adjoint"``, torch interface.
* ``pl-default-backprop``: ``default.qubit``, ``diff_method="backprop"``, torch interface
  (always complex128); skipped when its estimated memory exceeds 80% of what is available.
* ``aer-estimator-ps``: Qiskit Aer ``EstimatorV2`` (exact) with the parameter-shift rule, the
  ``2P + 1`` parameter rows in one pub of one ``run``; only ``n <= 14`` (it costs ``2P + 1``
  full simulations, ``P = 2 n L``).
* ``aer-estimator-fwd``: the same estimator, energy only (one row), every ``n``.

Memory-bandwidth floor: a copy of a 512 MiB tensor is timed in the same process (median of
5, bytes read + written / time), and the bytes the native adjoint run must move are
estimated as ``S * (2 G + 4 G + 2 G_p + 4 K)`` with ``S`` the state size in bytes, ``G``
gates, ``G_p`` parametrised gates and ``K`` flip groups of the observable: forward one read
and one write of the state per gate, backward two states per gate, one extra pass per
parametrised gate for the derivative inner product, and per flip group one pass for the
energy and one for ``H |psi>``. The native rows get ``floor_s`` and ``ratio_floor``. Because
states up to ``n = 20`` (16 MiB) fit in a 32 MiB last-level cache, a second floor uses the
copy bandwidth measured at the size of one state (``bw_state_gbs``, ``floor_state_s``,
``ratio_floor_state``); the DRAM floor is only a floor for states larger than the cache.

Run from the repository root::

    python -m benchmarks.bench_w2              # n in {10, 14, 18, 20}
    python -m benchmarks.bench_w2 --quick      # n in {6, 8}
    python -m benchmarks.bench_w2 --full       # adds n = 22, 24
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.common import (  # common is imported first: it fixes the thread env before torch loads
    Contender,
    Settings,
    Skip,
    SlowRegistry,
    add_ratios,
    aer_estimator,
    apply_settings,
    available_bytes,
    base_parser,
    busy_limit,
    finish,
    hea_circuit,
    hea_pennylane,
    hea_qiskit,
    max_abs_diff,
    np,
    pennylane_device,
    profile_call,
    run_cases,
    terms_native,
    terms_pennylane,
    terms_qiskit,
    tfim_terms,
    torch,
    wait_quiet,
)
from qml.sim.observables import ObservablePlan
from qml.sim.program import compile_circuit
from qml.sim.simulator import Simulator

WORKLOAD = "W2"
KEY_FIELDS = ("L", "n")
GRIDS = {"quick": [6, 8], "default": [10, 14, 18, 20], "full": [10, 14, 18, 20, 22, 24]}
AER_PS_MAX_N = 14

Result = tuple[float, np.ndarray | None]  # (energy, gradient or None)


def measure_bandwidth(nbytes: int = 512 * 2**20, repeats: int = 5) -> float:
    """Copy bandwidth in bytes/s: ``2 * nbytes / median(time of dst.copy_(src))`` with torch.

    Small sizes repeat the copy so that each timing moves at least 64 MiB; at the size of
    a state that fits in the last-level cache this measures cache bandwidth, not DRAM.
    """
    src = torch.ones(max(nbytes // 8, 1), dtype=torch.float64)
    dst = torch.empty_like(src)
    inner = max(1, (64 * 2**20) // nbytes)
    dst.copy_(src)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            dst.copy_(src)
        times.append((time.perf_counter() - t0) / inner)
    del src, dst
    return 2 * nbytes / statistics.median(times)


def adjoint_bytes(n: int, layers: int, dtype: torch.dtype) -> dict[str, float]:
    """Bytes the native adjoint gradient must move (the model in the module docstring)."""
    circuit = hea_circuit(n, layers, encode=False)
    prog = compile_circuit(circuit)
    itemsize = 16 if dtype == torch.complex128 else 8
    if prog.is_real:
        itemsize //= 2
    state = 2**n * itemsize
    gates = len(circuit.ops)
    pgates = sum(1 for op in circuit.ops if op.params)
    groups = len(ObservablePlan([terms_native(tfim_terms(n))], n).groups)
    total = state * (2 * gates + 4 * gates + 2 * pgates + 4 * groups)
    return {
        "bytes": float(total),
        "state_bytes": float(state),
        "gates": gates,
        "param_gates": pgates,
        "flip_groups": groups,
    }


def native_run(n: int, layers: int, w: np.ndarray, dtype: torch.dtype, grad: bool) -> Callable[[], Result]:
    """The timed native energy (and adjoint gradient when ``grad``)."""
    sim = Simulator(dtype=dtype, diff="adjoint")
    circuit = hea_circuit(n, layers, encode=False)
    ham = terms_native(tfim_terms(n))
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    w0 = torch.tensor(w, dtype=real)

    def run() -> Result:
        if not grad:
            with torch.no_grad():
                return float(sim.expval(circuit, ham, w0)), None
        wt = w0.clone().requires_grad_(True)
        e = sim.expval(circuit, ham, wt)
        e.backward()
        return float(e.detach()), wt.grad.to(torch.float64).numpy().copy()

    return run


def pennylane_run(
    n: int, layers: int, w: np.ndarray, device: str, diff_method: str, dtype: str
) -> Callable[[], Result]:
    """The timed PennyLane energy and gradient (torch interface)."""
    import pennylane as qp

    dev = pennylane_device(device, n, dtype)
    ham = terms_pennylane(tfim_terms(n))

    @qp.qnode(dev, interface="torch", diff_method=diff_method)
    def energy(wb: Any) -> Any:
        hea_pennylane(None, wb, n, layers)
        return qp.expval(ham)

    w0 = torch.tensor(w, dtype=torch.float64)

    def run() -> Result:
        wt = w0.clone().requires_grad_(True)
        e = energy(wt)
        e.backward()
        return float(e.detach()), wt.grad.numpy().copy()

    return run


def aer_run(n: int, layers: int, w: np.ndarray, threads: int, dtype: str, grad: bool) -> Callable[[], Result]:
    """The timed Aer energy; with ``grad`` all ``2P + 1`` parameter-shift rows in one pub, one run."""
    if grad and n > AER_PS_MAX_N:
        raise Skip(
            f"Aer parameter-shift needs {2 * w.size + 1} full simulations; only run for n <= {AER_PS_MAX_N}"
        )
    qc, _ = hea_qiskit(n, layers, encode=False)
    ham = terms_qiskit(tfim_terms(n), n)
    est = aer_estimator(threads, dtype)
    n_w = w.size
    cols = np.arange(n_w)

    def run() -> Result:
        if not grad:
            evs = est.run([(qc, ham, w[None, :])]).result()[0].data.evs
            return float(np.asarray(evs).reshape(-1)[0]), None
        vals = np.repeat(w[None, :], 2 * n_w + 1, axis=0)
        vals[1 + 2 * cols, cols] += math.pi / 2
        vals[2 + 2 * cols, cols] -= math.pi / 2
        evs = np.asarray(est.run([(qc, ham, vals)]).result()[0].data.evs).reshape(-1)
        return float(evs[0]), (evs[1::2] - evs[2::2]) / 2

    return run


def builders(
    n: int, layers: int, w: np.ndarray, s: Settings
) -> dict[str, tuple[str, Callable[[], Callable[[], Result]], float | None]]:
    """``{contender: (dtype used, builder of the timed run, memory estimate in bytes)}``."""
    n_ops = layers * (3 * n - 1)
    n_terms = 2 * n
    dq, lq = "default.qubit", "lightning.qubit"
    c128, c64 = torch.complex128, torch.complex64
    return {
        "qml-adjoint-c128": ("complex128", lambda: native_run(n, layers, w, c128, True), None),
        "qml-adjoint-c64": ("complex64", lambda: native_run(n, layers, w, c64, True), None),
        "qml-forward": (s.dtype, lambda: native_run(n, layers, w, s.torch_dtype, False), None),
        "pl-lightning-adjoint": (s.dtype, lambda: pennylane_run(n, layers, w, lq, "adjoint", s.dtype), None),
        # 3 complex128 states per op and per Hamiltonian term (calibrated on n = 14, see NOTES.md)
        "pl-default-backprop": (
            "complex128",
            lambda: pennylane_run(n, layers, w, dq, "backprop", s.dtype),
            48.0 * (n_ops + n_terms) * 2**n,
        ),
        "aer-estimator-ps": (s.dtype, lambda: aer_run(n, layers, w, s.threads, s.dtype, True), None),
        "aer-estimator-fwd": (s.dtype, lambda: aer_run(n, layers, w, s.threads, s.dtype, False), None),
    }


def reference_of(row: dict[str, Any], dtype: str) -> str:
    """Forward-only rows are compared with ``qml-forward``, gradients with the native adjoint at ``dtype``."""
    if row["contender"].endswith(("-fwd", "forward")):
        return "qml-forward"
    return "qml-adjoint-c64" if dtype == "complex64" else "qml-adjoint-c128"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", help="qubit counts (overrides the grid)")
    p.add_argument("--layers", type=int, default=5, help="ansatz layers L")
    p.add_argument("--bandwidth-mib", type=int, default=512, help="size of the bandwidth copy test")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run W2 and write ``w2.csv``, ``w2.json``, ``w2.md``, ``w2.png`` to ``--out``; returns the rows."""
    args = parse_args(argv)
    s = apply_settings(args)
    ns = sorted(args.n or GRIDS["quick" if args.quick else "full" if args.full else "default"])
    layers = args.layers
    if s.wait_quiet > 0:
        wait_quiet(s.wait_quiet, busy_limit(s.threads) - 0.05)
    bandwidth = measure_bandwidth(args.bandwidth_mib * 2**20)
    print(
        f"memory bandwidth (torch copy of {args.bandwidth_mib} MiB, median of 5): {bandwidth / 1e9:.2f} GB/s"
    )
    registry = SlowRegistry()
    rows: list[dict[str, Any]] = []
    for n in ns:
        w = np.random.default_rng([s.seed, n, layers]).uniform(0, 2 * math.pi, 2 * n * layers)
        ref: dict[str, Any] = {}
        case = {"workload": WORKLOAD, "n": n, "L": layers}
        contenders: list[Contender] = []
        for name, (dtype, build, mem) in builders(n, layers, w, s).items():
            if not s.wants(name) and name != "qml-adjoint-c128":
                continue

            def check(res: Result, name: str = name, ref: dict[str, Any] = ref) -> float | None:
                if name == "qml-adjoint-c128":  # the reference of the check column
                    ref["energy"], ref["grad"] = res
                    return 0.0
                if "energy" not in ref:
                    return None
                if res[1] is None:
                    return abs(res[0] - ref["energy"])
                return max(abs(res[0] - ref["energy"]), max_abs_diff(res[1], ref["grad"]))

            contenders.append(Contender(name, dtype, build, check, mem))
        for row in run_cases(case, contenders, s, registry=registry, size_keys=("n", "L")):
            if row["contender"].startswith("qml-adjoint"):
                dt = torch.complex128 if row["contender"].endswith("c128") else torch.complex64
                model = adjoint_bytes(n, layers, dt)
                bw_state = measure_bandwidth(int(model["state_bytes"]))
                floor, floor_state = model["bytes"] / bandwidth, model["bytes"] / bw_state
                ok = row["status"] == "ok"
                row.update(
                    bandwidth_gbs=round(bandwidth / 1e9, 2),
                    bytes_moved_gb=round(model["bytes"] / 1e9, 3),
                    floor_s=float(f"{floor:.4g}"),
                    ratio_floor=round(row["median_s"] / floor, 2) if ok else None,
                    bw_state_gbs=round(bw_state / 1e9, 2),
                    floor_state_s=float(f"{floor_state:.4g}"),
                    ratio_floor_state=round(row["median_s"] / floor_state, 2) if ok else None,
                )
            rows.append(row)
    add_ratios(rows, lambda r: reference_of(r, s.dtype), KEY_FIELDS)
    finish(
        rows,
        s,
        "w2",
        KEY_FIELDS,
        ("L",),
        f"W2 VQE gradient, periodic TFIM, L={layers}, {s.threads} threads; ratio = time / native adjoint "
        f"({s.dtype}) or / qml-forward for forward rows",
        {
            "bandwidth_gbs": round(bandwidth / 1e9, 3),
            "available_gib": round(available_bytes() / 2**30, 1),
            "bytes_model": "S*(2G + 4G + 2Gp + 4K)",
        },
    )
    floors = [r for r in rows if r.get("floor_s") is not None]
    if floors:
        print("native adjoint vs the memory-bandwidth floor:")
        for r in floors:
            med = "-" if r["median_s"] is None else f"{r['median_s']:.4g} s"
            print(
                f"  {r['contender']:<18} n={r['n']:<3} moved {r['bytes_moved_gb']:.2f} GB; median {med}; "
                f"DRAM floor {r['floor_s']:.4g} s (ratio {r['ratio_floor']}); state-size copy "
                f"{r['bw_state_gbs']} GB/s, floor {r['floor_state_s']:.4g} s "
                f"(ratio {r['ratio_floor_state']})"
            )
    if s.profile:
        n = max(ns)
        w = np.random.default_rng([s.seed, n, layers]).uniform(0, 2 * math.pi, 2 * n * layers)
        profile_call(native_run(n, layers, w, s.torch_dtype, True), f"w2_adjoint_n{n}_L{layers}", s)
    return rows


if __name__ == "__main__":
    main()
