"""W1: one QML training step (forward + gradient of all weights) on a batch of inputs.

Circuit: :func:`benchmarks.common.hea_circuit` (``RX(x_i)`` angle encoding, then ``L``
layers of ``RY(w), RZ(w)`` on every wire and a CNOT ladder). Loss: the batch mean of
``<sum_i Z_i>`` (one observable). Timed: the loss and its gradient with respect to all
``2 n L`` weights (inputs are not differentiated).

Contenders:

* ``qml-backprop`` / ``qml-adjoint``: the native simulator, ``diff="backprop"`` / ``"adjoint"``;
  weights ``(P,)`` shared by the ``(B, n)`` inputs.
* ``pl-default-backprop``: PennyLane ``default.qubit``, ``interface="torch"``,
  ``diff_method="backprop"``, the ``(B, n)`` inputs passed as a broadcast batch (one
  broadcast state). ``default.qubit`` always simulates in complex128.
* ``pl-lightning-adjoint``: ``lightning.qubit``, ``diff_method="adjoint"``, the same QNode
  called with the broadcast ``(B, n)`` inputs. Lightning has no broadcast kernels: PennyLane
  splits the broadcast tape into ``B`` tapes (``broadcast_expand``) and runs one adjoint
  pass per tape inside a single ``execute`` call, which is the most batching PennyLane permits.
* ``aer-estimator-ps``: Qiskit Aer ``EstimatorV2`` (exact, ``default_precision=0``) with the
  parameter-shift rule: the forward rows and the ``2P`` shifted rows of every input, ``B (2P+1)``
  parameter rows in all, in ONE pub of ONE ``run`` call. Only ``n <= 8`` and ``B <= 64``.

Run from the repository root::

    python -m benchmarks.bench_w1              # default grid, ~5 minutes on 2 cores
    python -m benchmarks.bench_w1 --quick      # tiny grid, < 1 minute
    python -m benchmarks.bench_w1 --full       # B {64,256,1024} x n {4,8,12,16} x L {2,6,10}
"""

from __future__ import annotations

import argparse
import math
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
    base_parser,
    finish,
    hea_circuit,
    hea_pennylane,
    hea_qiskit,
    iter_grid,
    max_abs_diff,
    np,
    pennylane_device,
    profile_call,
    run_cases,
    terms_native,
    terms_pennylane,
    terms_qiskit,
    torch,
    z_sum_terms,
)
from qml.sim.simulator import Simulator

WORKLOAD = "W1"
REFERENCE = "qml-backprop"
KEY_FIELDS = ("B", "L", "n")
CONTENDERS = (
    "qml-backprop",
    "qml-adjoint",
    "pl-default-backprop",
    "pl-lightning-adjoint",
    "aer-estimator-ps",
)
GRIDS = {
    "quick": {"B": [8], "n": [4, 6], "L": [1]},
    "default": {"B": [64, 256], "n": [4, 8, 12], "L": [2, 6]},
    "full": {"B": [64, 256, 1024], "n": [4, 8, 12, 16], "L": [2, 6, 10]},
}
AER_MAX_N, AER_MAX_B = 8, 64

Result = tuple[float, np.ndarray]  # (loss, gradient of the weights)


def make_data(n: int, batch: int, layers: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(B, n)`` in ``[0, pi)`` and weights ``(2 n L,)`` in ``[0, 2 pi)``, seeded per config."""
    rng = np.random.default_rng([seed, n, batch, layers])
    return rng.uniform(0, math.pi, (batch, n)), rng.uniform(0, 2 * math.pi, 2 * n * layers)


def _grad_np(loss: Any, w: Any) -> Result:
    return float(loss.detach()), w.grad.detach().to(torch.float64).numpy().copy()


def native_step(
    n: int, layers: int, x: np.ndarray, w: np.ndarray, dtype: torch.dtype, diff: str
) -> Callable[[], Result]:
    """The timed native training step (loss and weight gradient)."""
    sim = Simulator(dtype=dtype, diff=diff)  # type: ignore[arg-type]
    circuit = hea_circuit(n, layers)
    obs = terms_native(z_sum_terms(n))
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    xt, w0 = torch.tensor(x, dtype=real), torch.tensor(w, dtype=real)

    def step() -> Result:
        wt = w0.clone().requires_grad_(True)
        loss = sim.expval(circuit, obs, wt, xt).mean()
        loss.backward()
        return _grad_np(loss, wt)

    return step


def pennylane_step(
    n: int, layers: int, x: np.ndarray, w: np.ndarray, device: str, diff_method: str, dtype: str
) -> Callable[[], Result]:
    """The timed PennyLane training step, inputs broadcast over the batch."""
    import pennylane as qp

    dev = pennylane_device(device, n, dtype)
    obs = terms_pennylane(z_sum_terms(n))

    @qp.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(xb: Any, wb: Any) -> Any:
        hea_pennylane(xb, wb, n, layers)
        return qp.expval(obs)

    xt, w0 = torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64)

    def step() -> Result:
        wt = w0.clone().requires_grad_(True)
        loss = circuit(xt, wt).mean()
        loss.backward()
        return _grad_np(loss, wt)

    return step


def aer_step(
    n: int, layers: int, x: np.ndarray, w: np.ndarray, threads: int, dtype: str
) -> Callable[[], Result]:
    """The timed Aer parameter-shift step: all ``B (2P + 1)`` parameter rows in one pub, one run."""
    batch, n_w = x.shape[0], w.shape[0]
    if n > AER_MAX_N or batch > AER_MAX_B:
        raise Skip(f"Aer parameter-shift is only run for n <= {AER_MAX_N} and B <= {AER_MAX_B}")
    qc, _ = hea_qiskit(n, layers)
    obs = terms_qiskit(z_sum_terms(n), n)
    est = aer_estimator(threads, dtype)
    shift = math.pi / 2
    cols = np.arange(n_w)

    def step() -> Result:
        vals = np.empty((batch, 2 * n_w + 1, n_w + n))
        vals[:, :, :n_w] = w
        vals[:, 1 + 2 * cols, cols] += shift
        vals[:, 2 + 2 * cols, cols] -= shift
        vals[:, :, n_w:] = x[:, None, :]
        evs = est.run([(qc, obs, vals.reshape(-1, n_w + n))]).result()[0].data.evs
        evs = np.asarray(evs).reshape(batch, 2 * n_w + 1)
        grad = ((evs[:, 1::2] - evs[:, 2::2]) / 2).mean(0)
        return float(evs[:, 0].mean()), grad

    return step


def builders(
    n: int, layers: int, x: np.ndarray, w: np.ndarray, s: Settings
) -> dict[str, tuple[str, Callable[[], Callable[[], Result]], float | None]]:
    """``{contender: (dtype used, builder of the timed step, memory estimate in bytes)}``."""
    batch = x.shape[0]
    n_ops = n + layers * (3 * n - 1)
    amp = batch * 2**n
    dq, lq = "default.qubit", "lightning.qubit"
    return {
        "qml-backprop": (s.dtype, lambda: native_step(n, layers, x, w, s.torch_dtype, "backprop"), None),
        "qml-adjoint": (s.dtype, lambda: native_step(n, layers, x, w, s.torch_dtype, "adjoint"), None),
        # default.qubit + torch autograd keeps a few tensors per op: 3 complex128 states
        # (48 bytes per amplitude) per op, calibrated on the n=12, B=256 run (see NOTES.md).
        "pl-default-backprop": (
            "complex128",
            lambda: pennylane_step(n, layers, x, w, dq, "backprop", s.dtype),
            48.0 * n_ops * amp,
        ),
        "pl-lightning-adjoint": (
            s.dtype,
            lambda: pennylane_step(n, layers, x, w, lq, "adjoint", s.dtype),
            None,
        ),
        "aer-estimator-ps": (s.dtype, lambda: aer_step(n, layers, x, w, s.threads, s.dtype), None),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", help="qubit counts (overrides the grid)")
    p.add_argument("--batch", type=int, nargs="+", help="batch sizes (overrides the grid)")
    p.add_argument("--layers", type=int, nargs="+", help="layer counts (overrides the grid)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run W1 and write ``w1.csv``, ``w1.json``, ``w1.md``, ``w1.png`` to ``--out``; returns the rows."""
    args = parse_args(argv)
    s = apply_settings(args)
    grid = GRIDS["quick" if args.quick else "full" if args.full else "default"]
    bs, ns, ls = args.batch or grid["B"], args.n or grid["n"], args.layers or grid["L"]
    registry = SlowRegistry()
    rows: list[dict[str, Any]] = []
    for cfg in iter_grid(B=bs, L=ls, n=sorted(ns)):
        n, batch, layers = cfg["n"], cfg["B"], cfg["L"]
        x, w = make_data(n, batch, layers, s.seed)
        try:
            _, ref = native_step(n, layers, x, w, torch.complex128, "adjoint")()
        except Exception as e:  # the reference is only used for the check column
            print(f"reference gradient failed for {cfg}: {e}")
            ref = None
        case = {"workload": WORKLOAD, "n": n, "B": batch, "L": layers}

        def check(res: Result, ref: np.ndarray | None = ref) -> float | None:
            return None if ref is None else max_abs_diff(res[1], ref)

        contenders = [
            Contender(name, dtype, build, check, mem)
            for name, (dtype, build, mem) in builders(n, layers, x, w, s).items()
            if s.wants(name)
        ]
        rows.extend(run_cases(case, contenders, s, registry=registry))
    add_ratios(rows, REFERENCE, KEY_FIELDS)
    finish(
        rows,
        s,
        "w1",
        KEY_FIELDS,
        ("B", "L"),
        f"W1 training step (loss + weight gradient), {s.dtype}, {s.threads} threads; "
        f"ratio = time / {REFERENCE}",
        {"reference": REFERENCE, "observable": "mean_b <sum_i Z_i>"},
    )
    if s.profile:
        n, batch, layers = max(ns), max(bs), max(ls)
        x, w = make_data(n, batch, layers, s.seed)
        for diff in ("backprop", "adjoint"):
            step = native_step(n, layers, x, w, s.torch_dtype, diff)
            profile_call(step, f"w1_{diff}_n{n}_B{batch}_L{layers}", s)
    return rows


if __name__ == "__main__":
    main()
