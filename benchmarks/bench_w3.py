"""W3: sampling bitstrings from a random hardware-efficient circuit.

Circuit: :func:`benchmarks.common.hea_circuit` without encoding (``L`` layers, default 5) with
seeded random weights. Timed: the full simulation plus ``shots`` samples of all wires, as
each library returns them.

Contenders:

* ``qml-sample``: ``Simulator(dtype).sample(circuit, weights, shots=, seed=)``, which returns
  a ``(shots, n)`` uint8 tensor of bits.
* ``aer-sampler``: Qiskit Aer ``SamplerV2`` (statevector method, ``measure_all``, seeded),
  ``run([(circuit, weights)], shots=shots)``; it returns a packed ``BitArray`` (the timing
  includes ``.result()`` and the access of the bit array, not a conversion to counts).

Check column: the largest difference of the per-wire frequency of 1 between the Aer and the
native samples (a statistical quantity, about ``1/sqrt(shots)``), which also verifies the
wire order.

Run from the repository root::

    python -m benchmarks.bench_w3              # shots {1e4, 1e5, 1e6} x n {10, 16, 20}
    python -m benchmarks.bench_w3 --quick
    python -m benchmarks.bench_w3 --full       # adds n = 24
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.common import (  # common is imported first: it fixes the thread env before torch loads
    Contender,
    Settings,
    SlowRegistry,
    add_ratios,
    apply_settings,
    base_parser,
    finish,
    hea_circuit,
    hea_qiskit,
    iter_grid,
    np,
    run_cases,
    torch,
)
from qml.sim.simulator import Simulator

WORKLOAD = "W3"
REFERENCE = "qml-sample"
KEY_FIELDS = ("shots", "n")
GRIDS = {
    "quick": {"shots": [1000, 10000], "n": [4, 8]},
    "default": {"shots": [10_000, 100_000, 1_000_000], "n": [10, 16, 20]},
    "full": {"shots": [10_000, 100_000, 1_000_000], "n": [10, 16, 20, 24]},
}


def wire_means(bits: Any) -> np.ndarray:
    """Per-wire frequency of 1 from native ``(shots, n)`` bits or an Aer ``BitArray``."""
    if isinstance(bits, torch.Tensor):
        return bits.to(torch.float64).mean(0).numpy()
    arr = bits.to_bool_array(order="little")  # column j = classical bit j = qubit j = native wire j
    return arr.mean(0)


def native_sampler(
    n: int, layers: int, w: np.ndarray, shots: int, seed: int, dtype: torch.dtype
) -> Callable[[], Any]:
    """The timed native simulation + sampling."""
    sim = Simulator(dtype=dtype)
    circuit = hea_circuit(n, layers, encode=False)
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    wt = torch.tensor(w, dtype=real)

    def run() -> Any:
        return sim.sample(circuit, wt, shots=shots, seed=seed)

    return run


def aer_sampler(
    n: int, layers: int, w: np.ndarray, shots: int, seed: int, threads: int, dtype: str
) -> Callable[[], Any]:
    """The timed Aer ``SamplerV2`` simulation + sampling."""
    from qiskit_aer.primitives import SamplerV2

    qc, _ = hea_qiskit(n, layers, encode=False)
    qc.measure_all()
    sampler = SamplerV2(
        seed=seed,
        options={
            "backend_options": {
                "method": "statevector",
                "max_parallel_threads": threads,
                "precision": "single" if dtype == "complex64" else "double",
            },
        },
    )

    def run() -> Any:
        return sampler.run([(qc, w)], shots=shots).result()[0].data.meas

    return run


def builders(
    n: int, layers: int, w: np.ndarray, shots: int, s: Settings
) -> dict[str, tuple[str, Callable[[], Callable[[], Any]], float | None]]:
    """``{contender: (dtype used, builder of the timed run, memory estimate in bytes)}``."""
    return {
        "qml-sample": (s.dtype, lambda: native_sampler(n, layers, w, shots, s.seed, s.torch_dtype), None),
        "aer-sampler": (s.dtype, lambda: aer_sampler(n, layers, w, shots, s.seed, s.threads, s.dtype), None),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", help="qubit counts (overrides the grid)")
    p.add_argument("--shots", type=int, nargs="+", help="shot counts (overrides the grid)")
    p.add_argument("--layers", type=int, default=5, help="ansatz layers L")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run W3 and write ``w3.csv``, ``w3.json``, ``w3.md``, ``w3.png`` to ``--out``; returns the rows."""
    args = parse_args(argv)
    s = apply_settings(args)
    grid = GRIDS["quick" if args.quick else "full" if args.full else "default"]
    shots_list, ns = args.shots or grid["shots"], sorted(args.n or grid["n"])
    layers = args.layers
    registry = SlowRegistry()
    rows: list[dict[str, Any]] = []
    for cfg in iter_grid(shots=shots_list, n=ns):
        n, shots = cfg["n"], cfg["shots"]
        w = np.random.default_rng([s.seed, n, layers]).uniform(0, 2 * math.pi, 2 * n * layers)
        ref: dict[str, np.ndarray] = {}
        case = {"workload": WORKLOAD, "n": n, "L": layers, "shots": shots}
        contenders: list[Contender] = []
        for name, (dtype, build, mem) in builders(n, layers, w, shots, s).items():
            if not s.wants(name) and name != REFERENCE:
                continue

            def check(res: Any, name: str = name, ref: dict[str, np.ndarray] = ref) -> float | None:
                means = wire_means(res)
                if name == REFERENCE:
                    ref["means"] = means
                    return 0.0
                return float(np.max(np.abs(means - ref["means"]))) if "means" in ref else None

            contenders.append(Contender(name, dtype, build, check, mem))
        rows.extend(run_cases(case, contenders, s, registry=registry, size_keys=("n", "shots")))
    add_ratios(rows, REFERENCE, KEY_FIELDS)
    finish(
        rows,
        s,
        "w3",
        KEY_FIELDS,
        ("shots",),
        f"W3 sampling, L={layers}, {s.dtype}, {s.threads} threads; ratio = time / {REFERENCE}",
        {"reference": REFERENCE},
    )
    return rows


if __name__ == "__main__":
    main()
