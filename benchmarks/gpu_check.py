"""The GPU session in one script: correctness on the device, the workloads, bandwidth, route calibration.

Device time is short and rare (a GPU machine is lent to some sessions only, for minutes), so
everything a GPU run should tell is here, ordered by value, under one time budget
(``--budget``): each section is skipped, and says so, once the budget is spent.

1. ``device``: name, memory, the device's copy bandwidth (``y.copy_(x)`` on 1 GiB, both
   directions counted), the peak the state updates are measured against.
2. ``check``: native results on the device against the CPU (random circuits of every kernel
   kind, complex128 and complex64: states; a W1 step and a W2 adjoint gradient: values and
   gradients). A device that disagrees is reported and its timings are not trusted.
3. ``forward``: the final state of a random 10-layer circuit (``bench_peers.random_layout``),
   n from 20 up to what fits, complex64 and complex128; time, fused passes over the state and
   the effective bandwidth ``passes * 2 * state bytes / time`` against the copy bandwidth.
4. ``train``: W1 steps (batch mean of ``<sum Z>`` and its weight gradient), encode-once and
   re-uploading, n = 8-16, B = 256-4096.
5. ``energy``: W2 steps (TFIM HEA energy + gradient), n = 16-26, adjoint and backprop.
6. ``routes``: the CPU-fitted cost models on this device: every decision they make on the
   CUDA row (``qml.sim.tuning``: not measured there) timed both ways with ``methods=``
   (collapse, split) so that the CUDA row can be filled in from the output.
7. ``peers``: PennyLane ``lightning.gpu``, Qiskit Aer on the GPU and TensorCircuit-NG on jax-CUDA
   where they import (the device machine has no network: usually none).

Run on the device machine (``--device cpu --quick`` tests the script here)::

    python -m benchmarks.gpu_check --out gpu/ --budget 420

Writes ``gpu/gpu_check.json`` (rows and metadata) and ``gpu/gpu_check.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import bench_peers as peers
from benchmarks.common import hea_circuit, terms_native, tfim_terms, versions, z_sum_terms
from qml import Simulator
from qml.sim.fusion import fused_program
from qml.sim.program import compile_circuit

DTYPES = {"complex128": torch.complex128, "complex64": torch.complex64}


class Budget:
    """Seconds left of ``--budget``; sections ask before they start."""

    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        return self.end - time.perf_counter()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], Any], device: torch.device, repeats: int, budget: Budget) -> tuple[float, float]:
    """Median and minimum seconds of ``fn`` after one warm-up call (fewer repeats near the budget)."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
        if budget.left() < 0:
            break
    return statistics.median(times), min(times)


def fits(n: int, itemsize: int, states: int, device: torch.device) -> bool:
    """Whether ``states`` states of ``n`` qubits fit in 80 % of the device's free memory."""
    if device.type != "cuda":
        return n <= 22
    free, _ = torch.cuda.mem_get_info(device)
    return states * 2**n * itemsize < 0.8 * free


def section_device(device: torch.device, quick: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"device": str(device)}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(name=props.name, memory_gib=round(props.total_memory / 2**30, 1))
    size = 2**24 if quick else 2**30  # bytes
    x = torch.empty(size // 4, dtype=torch.float32, device=device)
    y = torch.empty_like(x)
    t, _ = timed(lambda: y.copy_(x), device, 10, Budget(60))
    info["copy_gb_s"] = round(2 * size / t / 1e9, 1)
    return info


def section_check(device: torch.device, quick: bool) -> list[dict[str, Any]]:
    """Device against CPU: states of random circuits, a W1 and a W2 gradient."""
    rows = []
    for dtype_name, dtype in DTYPES.items():
        tol = 1e-10 if dtype == torch.complex128 else 1e-4
        for n in (6, 11) if quick else (6, 11, 16):
            c = peers.native_circuit(n, peers.random_layout(n, 6, seed=n))
            ref = Simulator(dtype=dtype).state(c).to(torch.complex128)
            got = Simulator(dtype=dtype, device=device).state(c).cpu().to(torch.complex128)
            dev = float((got - ref).abs().max())
            rows.append({"check": f"state n={n}", "dtype": dtype_name, "deviation": dev, "ok": dev < tol})
        for what, c, obs, x in (
            (
                "W1 n=8 B=64",
                hea_circuit(8, 3),
                terms_native(z_sum_terms(8)),
                torch.rand(64, 8, dtype=torch.float64),
            ),
            ("W2 n=10 adjoint", hea_circuit(10, 3, encode=False), terms_native(tfim_terms(10)), None),
        ):
            out = []
            for dev_ in (torch.device("cpu"), device):
                sim = Simulator(dtype=dtype, device=dev_, diff="adjoint" if x is None else "auto")
                w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, device=dev_, requires_grad=True)
                e = sim.expval(c, obs, w, None if x is None else x.to(dev_)).mean()
                (g,) = torch.autograd.grad(e, w)
                out.append((float(e), g.cpu()))
            dev = max(abs(out[0][0] - out[1][0]), float((out[0][1] - out[1][1]).abs().max()))
            rows.append({"check": what, "dtype": dtype_name, "deviation": dev, "ok": dev < tol * 100})
    return rows


def section_forward(device: torch.device, quick: bool, budget: Budget, copy_gb_s: float) -> list[dict]:
    rows = []
    sizes = (8, 10) if quick else (20, 22, 24, 26, 28, 30)
    for dtype_name, dtype in DTYPES.items():
        for n in sizes:
            if budget.left() < 0 or not fits(n, dtype.itemsize, 3, device):
                rows.append({"n": n, "dtype": dtype_name, "skipped": "budget or memory"})
                continue
            c = peers.native_circuit(n, peers.random_layout(n, 10, seed=n))
            sim = Simulator(dtype=dtype, device=device)
            t, tmin = timed(lambda sim=sim, c=c: sim.state(c), device, 3 if quick else 5, budget)
            passes = len(fused_program(compile_circuit(c), sim.max_block).steps)
            gb_s = passes * 2 * 2**n * dtype.itemsize / tmin / 1e9
            rows.append(
                {
                    "n": n,
                    "dtype": dtype_name,
                    "median_s": t,
                    "min_s": tmin,
                    "passes": passes,
                    "effective_gb_s": round(gb_s, 1),
                    "of_copy": round(gb_s / copy_gb_s, 2),
                }
            )
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return rows


def _w1(
    c: Any, n: int, b: int, dtype: torch.dtype, device: torch.device, methods: Any = "auto"
) -> Callable[[], Any]:
    sim = Simulator(dtype=dtype, device=device, methods=methods)
    obs = terms_native(z_sum_terms(n))
    g = torch.Generator().manual_seed(n * 100 + b)
    w = torch.rand(c.n_weights, dtype=torch.float64, generator=g).to(device).requires_grad_(True)
    x = torch.rand(b, n, dtype=torch.float64, generator=g).to(device)

    def step() -> Any:
        w.grad = None
        sim.expval(c, obs, w, x).mean().backward()

    return step


def section_train(device: torch.device, quick: bool, budget: Budget) -> list[dict]:
    rows = []
    grid = [(4, 64)] if quick else [(n, b) for n in (8, 12, 16) for b in (256, 1024, 4096)]
    for kind in ("encode", "reupload"):
        for n, b in grid:
            for dtype_name, dtype in DTYPES.items():
                if budget.left() < 0 or not fits(n, dtype.itemsize, 40 * b, device):
                    rows.append(
                        {"circuit": kind, "n": n, "B": b, "dtype": dtype_name, "skipped": "budget/memory"}
                    )
                    continue
                c = peers.train_circuit(n, 4, kind)
                t, tmin = timed(_w1(c, n, b, dtype, device), device, 3 if quick else 7, budget)
                route = Simulator(dtype=dtype, device=device).explain(
                    c, "Z0", torch.zeros(c.n_weights, requires_grad=True), torch.zeros(b, n)
                )
                rows.append(
                    {"circuit": kind, "n": n, "B": b, "dtype": dtype_name, "median_s": t, "min_s": tmin}
                    | {"route": route.measure, "collapse": route.collapse}
                )
    return rows


def section_energy(device: torch.device, quick: bool, budget: Budget) -> list[dict]:
    rows = []
    sizes = [(6, 2)] if quick else [(16, 8), (20, 10), (24, 10), (26, 10)]
    for n, layers in sizes:
        c = hea_circuit(n, layers, encode=False)
        obs = terms_native(tfim_terms(n))
        for diff in ("adjoint", "backprop"):
            for dtype_name, dtype in DTYPES.items():
                states = 8 if diff == "adjoint" else 4 * len(c.ops)
                if budget.left() < 0 or not fits(n, dtype.itemsize, states, device):
                    rows.append(
                        {"n": n, "L": layers, "diff": diff, "dtype": dtype_name, "skipped": "budget/memory"}
                    )
                    continue
                sim = Simulator(dtype=dtype, device=device, diff=diff)
                w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, device=device, requires_grad=True)

                def step(sim: Simulator = sim, w: torch.Tensor = w, c: Any = c, obs: Any = obs) -> Any:
                    w.grad = None
                    sim.expval(c, obs, w).backward()

                t, tmin = timed(step, device, 3 if quick else 5, budget)
                rows.append(
                    {"n": n, "L": layers, "diff": diff, "dtype": dtype_name, "median_s": t, "min_s": tmin}
                )
    return rows


def section_routes(device: torch.device, quick: bool, budget: Budget) -> list[dict]:
    """Each method that the CPU cost models decide, timed taken and not taken on this device."""
    rows = []
    grid = (
        [(4, 64, 2)]
        if quick
        else [(n, b, layers) for n in (4, 6, 8, 10) for b in (256, 2048) for layers in (2, 6)]
    )
    for method in ("collapse", "split"):
        for n, b, layers in grid:
            if budget.left() < 0:
                rows.append({"method": method, "n": n, "B": b, "L": layers, "skipped": "budget"})
                continue
            c = hea_circuit(n, layers)
            auto = Simulator(device=device).explain(
                c, "Z0", torch.zeros(c.n_weights, requires_grad=True), torch.zeros(b, n)
            )
            taken_by_auto = auto.collapse if method == "collapse" else auto.measure == "two-register split"
            times = {}
            for how in ("always", "never"):
                off = {"numpy_tail": "never", "numpy_state": "never", "split": "never", "collapse": "never"}
                methods = {**off, method: how}
                times[how], _ = timed(_w1(c, n, b, torch.complex128, device, methods), device, 5, budget)
            faster = "always" if times["always"] < times["never"] else "never"
            rows.append(
                {"method": method, "n": n, "B": b, "L": layers, "always_s": times["always"]}
                | {"never_s": times["never"], "auto_takes_it": taken_by_auto, "faster": faster}
                | {"cpu_model_right": taken_by_auto == (faster == "always")}
            )
    return rows


def section_peers() -> list[dict]:
    """Which GPU peers this machine has: the GPU build of lightning, Aer with a GPU device, jax on CUDA."""

    def lightning_gpu() -> bool:
        try:
            return importlib.util.find_spec("pennylane_lightning.lightning_gpu_ops") is not None
        except ModuleNotFoundError:  # no pennylane_lightning at all
            return False

    def aer_gpu() -> bool:
        if importlib.util.find_spec("qiskit_aer") is None:
            return False
        from qiskit_aer import AerSimulator

        return "GPU" in AerSimulator().available_devices()

    def jax_cuda() -> bool:
        if importlib.util.find_spec("jax") is None or importlib.util.find_spec("tensorcircuit") is None:
            return False
        import jax

        return any(d.platform == "gpu" for d in jax.devices())

    checks = {"lightning.gpu": lightning_gpu, "aer GPU": aer_gpu, "TensorCircuit-NG on jax-CUDA": jax_cuda}
    rows = []
    for peer, check in checks.items():
        try:
            rows.append({"peer": peer, "available": bool(check())})
        except Exception as err:  # a broken install says why instead of ending the GPU session
            rows.append({"peer": peer, "available": False, "error": f"{type(err).__name__}: {err}"[:200]})
    return rows


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# GPU check ({result['meta']['device'].get('name', result['meta']['device']['device'])})", ""]
    lines.append(
        f"copy bandwidth {result['meta']['device']['copy_gb_s']} GB/s; versions {result['meta']['versions']}"
    )
    for name, rows in result["sections"].items():
        lines += ["", f"## {name}", ""]
        if not rows:
            lines.append("(none)")
            continue
        keys = list(dict.fromkeys(k for r in rows for k in r))
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in rows:
            cells = [f"{r[k]:.4g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--budget", type=float, default=420.0, help="seconds for all sections together")
    p.add_argument("--quick", action="store_true", help="tiny sizes (tests the script on any device)")
    p.add_argument("--out", type=Path, default=Path("gpu"))
    args = p.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            "no CUDA device: run on the GPU machine, or pass --device cpu --quick to test the script"
        )
    budget = Budget(args.budget)
    np.random.seed(0)
    dev_info = section_device(device, args.quick)
    print(f"device: {dev_info}", flush=True)
    sections: dict[str, list[dict]] = {}
    steps: list[tuple[str, Callable[[], list[dict]]]] = [
        ("check", lambda: section_check(device, args.quick)),
        ("forward", lambda: section_forward(device, args.quick, budget, dev_info["copy_gb_s"])),
        ("train", lambda: section_train(device, args.quick, budget)),
        ("energy", lambda: section_energy(device, args.quick, budget)),
        ("routes", lambda: section_routes(device, args.quick, budget)),
        ("peers", section_peers),
    ]
    for name, run in steps:
        t0 = time.perf_counter()
        sections[name] = run() if budget.left() > 0 or name in ("check", "peers") else []
        print(f"{name}: {len(sections[name])} rows in {time.perf_counter() - t0:.1f} s", flush=True)
        for r in sections[name]:
            print("  ", r, flush=True)
    result = {
        "meta": {"device": dev_info, "versions": versions(), "budget_s": args.budget},
        "sections": sections,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_check.json").write_text(json.dumps(result, indent=1, default=str))
    (args.out / "gpu_check.md").write_text(markdown(result))
    return result


if __name__ == "__main__":
    main()
