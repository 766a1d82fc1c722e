"""Shared machinery of the benchmark scripts: thread setup, circuits, guarded timing, memory, output.

Importing this module fixes the thread count of every numerical library **before** numpy,
torch, PennyLane or Qiskit load: ``OMP_NUM_THREADS`` (and friends) are set from the
``--threads`` argument of the running benchmark script (default 2). The scripts import it
first for that reason; :func:`apply_settings` also calls ``torch.set_num_threads``.

Measurement protocol (see ``benchmarks/README.md``):

* one untimed warm-up call per contender and configuration (it also fills caches, compiles,
  and gives the value that is checked against the native simulator);
* calls shorter than ``SPIN_UP_S`` (0.2 s) are then run untimed for that long, so that a
  CPU idle after ``--wait-quiet`` is busy again when timing starts;
* the contenders of a configuration are then timed together: ``--repeats`` rounds in which
  each gets a slot of back-to-back calls (at least one, 0.25 s / repeats of calls), the
  order reversed every round, so that a ratio compares calls made in the same stretch of
  time (``--sequential``: each contender alone after its warm-up); the median and the
  minimum are reported;
* a configuration whose warm-up time times ``--repeats`` exceeds ``--max-seconds`` is
  skipped with the reason recorded, as are the larger configurations of that contender;
* peak memory: one extra, untimed call per contender after the timed rounds: the kernel's
  high-water mark of the process's resident set (``VmHWM``, reset through
  ``/proc/self/clear_refs`` just before the call) minus the resident set just before the
  call, after ``malloc_trim`` returned freed heap pages. Where ``clear_refs`` is not
  writable a 1 ms psutil RSS-sampling thread is used instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

DEFAULT_THREADS = 2
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "RAYON_NUM_THREADS",
)


def threads_from_argv(argv: Sequence[str]) -> int:
    """The value of ``--threads N`` / ``--threads=N`` in ``argv``, else :data:`DEFAULT_THREADS`."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return DEFAULT_THREADS


def set_thread_env(threads: int, override: bool = True) -> None:
    """Set the OpenMP/BLAS thread variables (only effective before the libraries load).

    Args:
        threads: Number of threads.
        override: Replace values already in the environment (else only fill missing ones).
    """
    for var in THREAD_VARS:
        if override or var not in os.environ:
            os.environ[var] = str(threads)


# A benchmark script run from the command line (any script in this folder) owns the process:
# its --threads wins. Imported from elsewhere (tests, notebooks) only missing variables are filled in.
_script = sys.argv[0] if sys.argv else ""
_here = os.path.dirname(os.path.abspath(__file__))
set_thread_env(
    threads_from_argv(sys.argv),
    override=os.path.basename(_script).startswith("bench_")
    or (bool(_script) and os.path.dirname(os.path.abspath(_script)) == _here),
)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import csv  # noqa: E402
import ctypes  # noqa: E402
import datetime as dt  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import torch  # noqa: E402

from qml.ir import Circuit, W, X  # noqa: E402
from qml.paulis import PauliString, PauliSum  # noqa: E402

#: Columns of every result row, in CSV order (scripts may add more after these).
FIELDS = (
    "workload",
    "contender",
    "n",
    "B",
    "L",
    "shots",
    "dtype",
    "threads",
    "status",
    "median_s",
    "min_s",
    "first_s",
    "repeats",
    "peak_mem_mb",
    "ratio_vs_native",
    "check",
    "reason",
    "versions",
)

DTYPES = {"complex128": torch.complex128, "complex64": torch.complex64}

# ----------------------------------------------------------------------------------------
# Circuits and observables (the same circuit is built for each framework)
# ----------------------------------------------------------------------------------------


def hea_circuit(n_wires: int, layers: int, encode: bool = True) -> Circuit:
    """Angle encoding plus a hardware-efficient ansatz, as a native :class:`~qml.ir.Circuit`.

    Layout: ``RX(x_i)`` on every wire ``i`` (when ``encode``), then ``layers`` times:
    ``RY(w[2k])``, ``RZ(w[2k+1])`` on every wire (``k = layer * n + wire``) followed by the
    CNOT ladder ``(0,1), (1,2), ..., (n-2, n-1)``.

    Args:
        n_wires: Number of qubits.
        layers: Number of layers ``L`` (``2 * n * L`` weights).
        encode: Prepend the ``RX`` angle encoding of ``n`` input features.

    Returns:
        The circuit.

    Example:
        >>> c = hea_circuit(3, 2)
        >>> c.n_weights, c.n_inputs, len(c.ops)
        (12, 3, 19)
    """
    c = Circuit(n_wires, name=f"hea_{n_wires}x{layers}")
    if encode:
        for i in range(n_wires):
            c = c.add("RX", i, X(i))
    k = 0
    for _ in range(layers):
        for i in range(n_wires):
            c = c.add("RY", i, W(k)).add("RZ", i, W(k + 1))
            k += 2
        for i in range(n_wires - 1):
            c = c.add("CNOT", (i, i + 1))
    return c


def pennylane_device(device: str, n_wires: int, dtype: str) -> Any:
    """A PennyLane device; ``lightning.qubit`` gets ``c_dtype`` from ``dtype`` (``default.qubit``
    always simulates in complex128)."""
    import pennylane as qp

    kwargs: dict[str, Any] = {}
    if device == "lightning.qubit":
        kwargs["c_dtype"] = np.complex64 if dtype == "complex64" else np.complex128
    return qp.device(device, wires=n_wires, **kwargs)


def aer_estimator(threads: int, dtype: str) -> Any:
    """An exact (``default_precision=0``) Aer ``EstimatorV2`` on ``threads`` threads in ``dtype``."""
    from qiskit_aer.primitives import EstimatorV2

    return EstimatorV2(
        options={
            "default_precision": 0.0,
            "backend_options": {
                "method": "statevector",
                "max_parallel_threads": threads,
                "precision": "single" if dtype == "complex64" else "double",
            },
        }
    )


def hea_pennylane(x: Any, w: Any, n_wires: int, layers: int) -> None:
    """Queue the circuit of :func:`hea_circuit` as PennyLane ops (inside a QNode).

    Args:
        x: Inputs ``(n,)`` or ``(B, n)`` (broadcast over the leading axis), or ``None`` for
            no encoding.
        w: Weights ``(2 * n * L,)`` in the native layout.
        n_wires: Number of qubits.
        layers: Number of layers.
    """
    import pennylane as qp

    if x is not None:
        for i in range(n_wires):
            qp.RX(x[..., i], wires=i)
    k = 0
    for _ in range(layers):
        for i in range(n_wires):
            qp.RY(w[k], wires=i)
            qp.RZ(w[k + 1], wires=i)
            k += 2
        for i in range(n_wires - 1):
            qp.CNOT(wires=[i, i + 1])


def hea_qiskit(n_wires: int, layers: int, encode: bool = True) -> tuple[Any, list[Any]]:
    """The circuit of :func:`hea_circuit` as a parametrised Qiskit ``QuantumCircuit``.

    Native wire ``w`` is Qiskit qubit ``w``.

    Returns:
        ``(circuit, parameters)`` where ``parameters`` lists the circuit's parameters in the
        column order of the value arrays used by the benchmarks: the weights ``w[0..P-1]``
        then the inputs ``x[0..n-1]`` (checked to equal ``circuit.parameters``).
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    w = ParameterVector("w", 2 * n_wires * layers)
    x = ParameterVector("x", n_wires if encode else 0)
    qc = QuantumCircuit(n_wires)
    if encode:
        for i in range(n_wires):
            qc.rx(x[i], i)
    k = 0
    for _ in range(layers):
        for i in range(n_wires):
            qc.ry(w[k], i)
            qc.rz(w[k + 1], i)
            k += 2
        for i in range(n_wires - 1):
            qc.cx(i, i + 1)
    params = [*w, *x]
    if list(qc.parameters) != params:
        raise RuntimeError("unexpected Qiskit parameter order; the value columns would be misaligned")
    return qc, params


Terms = list[tuple[float, dict[int, str]]]


def z_sum_terms(n_wires: int) -> Terms:
    """``sum_i Z_i`` as ``[(coeff, {wire: letter})]``."""
    return [(1.0, {i: "Z"}) for i in range(n_wires)]


def tfim_terms(n_wires: int, j: float = 1.0, h: float = 1.0) -> Terms:
    """Periodic transverse-field Ising model ``-J sum Z_i Z_{i+1} - h sum X_i`` (``n >= 3``)."""
    bonds = [(i, (i + 1) % n_wires) for i in range(n_wires)] if n_wires > 2 else [(0, 1)][: n_wires - 1]
    terms: Terms = [(-j, {a: "Z", b: "Z"}) for a, b in bonds]
    return terms + [(-h, {i: "X"}) for i in range(n_wires)]


def terms_native(terms: Terms) -> PauliSum:
    """The terms as a native :class:`~qml.paulis.PauliSum`."""
    return PauliSum.from_terms([(c, PauliString.from_dict(d)) for c, d in terms])


def terms_pennylane(terms: Terms) -> Any:
    """The terms as a PennyLane ``Hamiltonian`` (a ``LinearCombination``)."""
    import pennylane as qp

    letters = {"X": qp.PauliX, "Y": qp.PauliY, "Z": qp.PauliZ}
    ops = [
        qp.prod(*[letters[p](w) for w, p in sorted(d.items())])
        if len(d) > 1
        else letters[next(iter(d.values()))](next(iter(d)))
        for _, d in terms
    ]
    return qp.Hamiltonian([c for c, _ in terms], ops)


def terms_qiskit(terms: Terms, n_wires: int) -> Any:
    """The terms as a Qiskit ``SparsePauliOp`` (native wire ``w`` = Qiskit qubit ``w``)."""
    from qiskit.quantum_info import SparsePauliOp

    sparse = [("".join(p for _, p in sorted(d.items())), sorted(d), c) for c, d in terms]
    return SparsePauliOp.from_sparse_list(sparse, num_qubits=n_wires)


# ----------------------------------------------------------------------------------------
# Memory
# ----------------------------------------------------------------------------------------

_LIBC: Any = None


def malloc_trim() -> None:
    """Return freed heap pages to the OS (glibc), so the resident set is a fair baseline."""
    global _LIBC
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL("libc.so.6")
        _LIBC.malloc_trim(0)
    except (OSError, AttributeError):
        _LIBC = False


def _status_kib() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


_HWM_OK: bool | None = None


def hwm_supported() -> bool:
    """Whether the kernel's resettable peak-RSS counter can be used (Linux >= 4.0)."""
    global _HWM_OK
    if _HWM_OK is None:
        try:
            _HWM_OK = _reset_hwm() and "VmHWM" in _status_kib()
        except OSError:
            _HWM_OK = False
    return _HWM_OK


class PeakMemory:
    """Context manager: peak resident memory of this process in the block, above its start.

    Uses ``VmHWM`` after a reset through ``/proc/self/clear_refs`` (exact, no overhead);
    otherwise a thread sampling psutil's RSS every millisecond.

    Example:
        >>> with PeakMemory() as pm:
        ...     a = np.ones(2**22)
        >>> pm.peak_bytes >= 0
        True
    """

    def __init__(self) -> None:
        self.peak_bytes = 0
        self.method = "vmhwm" if hwm_supported() else "psutil-1ms"
        self._before = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._max = 0

    def _sample(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            self._max = max(self._max, proc.memory_info().rss)
            time.sleep(0.001)

    def __enter__(self) -> PeakMemory:
        malloc_trim()
        if self.method == "vmhwm":
            self._before = _status_kib()["VmRSS"] * 1024
            _reset_hwm()
        else:
            self._before = self._max = psutil.Process().memory_info().rss
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.method == "vmhwm":
            peak = _status_kib()["VmHWM"] * 1024
        else:
            self._stop.set()
            assert self._thread is not None
            self._thread.join()
            peak = max(self._max, psutil.Process().memory_info().rss)
        self.peak_bytes = max(0, peak - self._before)


def available_bytes() -> int:
    """Memory available to new allocations on this machine."""
    return int(psutil.virtual_memory().available)


# ----------------------------------------------------------------------------------------
# CPU used by other processes (the machine may be shared)
# ----------------------------------------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_ticks() -> tuple[int, int]:
    """``(busy ticks of the whole machine, CPU ticks of this process)`` from ``/proc``."""
    with open("/proc/stat") as f:
        v = [int(t) for t in f.readline().split()[1:9]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # user nice system irq softirq steal
    with open("/proc/self/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return busy, int(rest[11]) + int(rest[12])  # utime + stime


class OtherCpu:
    """Context manager: cores' worth of CPU used by *other* processes during the block.

    ``(machine busy ticks - this process's ticks) / (elapsed * ticks per second)``; about
    0 on a quiet machine, about 1 when another process keeps one core busy. Resolution is
    one scheduler tick (10 ms), so short blocks are noisy. ``cores`` is ``None`` where
    ``/proc`` is missing.
    """

    def __init__(self) -> None:
        self.cores: float | None = None
        self._t0 = 0.0
        self._start: tuple[int, int] | None = None

    def __enter__(self) -> OtherCpu:
        with contextlib.suppress(OSError, ValueError, IndexError):
            self._start = _cpu_ticks()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self._t0
        if self._start is None or elapsed <= 0:
            return
        with contextlib.suppress(OSError, ValueError, IndexError):
            busy, mine = _cpu_ticks()
            other = (busy - self._start[0]) - (mine - self._start[1])
            self.cores = max(0.0, other / (elapsed * _CLK_TCK))


def wait_quiet(max_wait: float, threshold: float = 0.2, window: float = 1.0) -> float:
    """Wait (up to ``max_wait`` seconds) until other processes use less than ``threshold`` cores.

    The scripts pass ``busy_limit(threads) - 0.05``: the cores ``--threads`` leaves free are
    allowed to be busy.

    Returns:
        The seconds waited.
    """
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_wait:
        with OtherCpu() as oc:
            time.sleep(window)
        if oc.cores is None or oc.cores < threshold:
            break
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------------------
# Settings, versions, machine
# ----------------------------------------------------------------------------------------


@dataclass
class Settings:
    """Options shared by all scripts (from the command line)."""

    threads: int = DEFAULT_THREADS
    dtype: str = "complex128"
    repeats: int = 5
    max_seconds: float = 30.0
    out: Path = Path("results")
    plot: bool = True
    profile: bool = False
    contenders: tuple[str, ...] | None = None
    seed: int = 1234
    wait_quiet: float = 0.0
    versions: str = ""
    interleave: bool = True

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    @property
    def real_dtype(self) -> torch.dtype:
        return torch.float32 if self.dtype == "complex64" else torch.float64

    def wants(self, contender: str) -> bool:
        """Whether ``contender`` is selected by ``--contenders`` (all by default)."""
        return self.contenders is None or any(contender.startswith(c) for c in self.contenders)


#: The sources :func:`qml_tree_hash` covers (relative to the package): the whole engine, and the
#: IR, gate table and Pauli sums it reads.
CORE_SOURCES = ("sim/*.py", "gates.py", "ir.py", "paulis.py")


def qml_tree_hash() -> str:
    """Short SHA-1 of the native simulator's source files (the working tree may differ from any commit)."""
    import hashlib

    import qml

    root = Path(qml.__file__).parent
    h = hashlib.sha1()
    for pattern in CORE_SOURCES:
        files = sorted(root.glob(pattern))
        if not files:
            raise FileNotFoundError(f"qml_tree_hash: nothing matches {pattern!r} under {root}")
        for f in files:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


CORE_PACKAGES = ("qml-circuits", "torch", "numpy", "pennylane", "pennylane_lightning", "qiskit", "qiskit-aer")
#: The peers of ``bench_peers.py`` (the ``bench`` extra, and torchquantum installed with ``--no-deps``).
PEER_PACKAGES = ("qsimcirq", "cirq-core", "qulacs", "tensorcircuit-ng", "jax", "jaxlib", "torchquantum")


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that take part, plus :func:`qml_tree_hash`."""
    out = {"python": platform.python_version()}
    for pkg in (*CORE_PACKAGES, *PEER_PACKAGES):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    out["qml_tree"] = qml_tree_hash()
    return out


def machine() -> dict[str, Any]:
    """CPU model, core count and memory of this machine."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "memory_method": "vmhwm" if hwm_supported() else "psutil-1ms",
    }


def base_parser(description: str) -> argparse.ArgumentParser:
    """Argument parser with the options every benchmark script has."""
    p = argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="threads for every contender (OMP_NUM_THREADS, torch, Aer max_parallel_threads)",
    )
    p.add_argument("--dtype", choices=sorted(DTYPES), default="complex128", help="state precision")
    p.add_argument("--repeats", type=int, default=5, help="timed calls per contender and configuration")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=30.0,
        help="skip a configuration when warm-up time x repeats exceeds this",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help="output directory of the benchmark tables (CSV, JSON {meta, rows}, Markdown, PNG: data "
        "files, not qml result records)",
    )
    p.add_argument("--quick", action="store_true", help="tiny grid (< 1 minute)")
    p.add_argument("--full", action="store_true", help="the full grid (long)")
    p.add_argument(
        "--contenders",
        nargs="+",
        default=None,
        help="only contenders whose name starts with one of these (e.g. qml pl-lightning)",
    )
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG plot")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also profile one native run (torch.profiler + cProfile) and write the tables",
    )
    p.add_argument("--seed", type=int, default=1234, help="seed of the random inputs and weights")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before each measurement wait up to this many seconds for other processes to "
        "use < 0.25 cores (for shared machines)",
    )
    p.add_argument(
        "--sequential",
        action="store_true",
        help="time each contender alone right after its warm-up instead of all contenders "
        "of a configuration in alternating rounds",
    )
    return p


def apply_settings(args: argparse.Namespace) -> Settings:
    """Apply ``--threads`` to torch (the environment was set at import) and build :class:`Settings`."""
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    from qml.sim.allocator import retain_freed_memory

    retain_freed_memory()  # the scripts own their process: freed state buffers are reused (qml.sim.allocator)
    torch.set_num_threads(args.threads)
    env = os.environ.get("OMP_NUM_THREADS")
    if env != str(args.threads):
        print(
            f"note: OMP_NUM_THREADS={env} but --threads={args.threads}; OpenMP libraries loaded in this "
            "process keep their count (run the script from the command line for a clean setting)"
        )
    return Settings(
        threads=args.threads,
        dtype=args.dtype,
        repeats=args.repeats,
        max_seconds=args.max_seconds,
        out=Path(args.out),
        plot=not args.no_plot,
        profile=args.profile,
        contenders=tuple(args.contenders) if args.contenders else None,
        seed=args.seed,
        wait_quiet=args.wait_quiet,
        versions=json.dumps(versions(), sort_keys=True),
        interleave=not args.sequential,
    )


# ----------------------------------------------------------------------------------------
# Guarded timing
# ----------------------------------------------------------------------------------------


class Skip(Exception):
    """Raised by a contender's builder when the configuration is out of its scope."""


@dataclass
class SlowRegistry:
    """Remembers configurations that were too slow, to skip larger ones without running them."""

    slow: dict[str, list[dict[str, int]]] = field(default_factory=dict)

    def add(self, contender: str, size: dict[str, int]) -> None:
        self.slow.setdefault(contender, []).append(size)

    def dominated(self, contender: str, size: dict[str, int]) -> dict[str, int] | None:
        """A recorded too-slow size that is <= ``size`` in every coordinate, if any."""
        for s in self.slow.get(contender, []):
            if all(size.get(k, 0) >= v for k, v in s.items()):
                return s
        return None


def _fmt_s(t: float | None) -> str:
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return "-"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} us"


BUSY_CORES = 0.25  # other processes' CPU above which a measurement counts as disturbed
MIN_BUSY_WINDOW_S = 0.2  # shorter timed windows are never flagged (tick resolution)
BUSY_NOTE = (
    "Cells: median ×(median / native median) (min ×(min / native min)) (peak MB); "
    f"† = other processes used more than the cores left free by --threads plus {BUSY_CORES} "
    "during the timed calls (a disturbed measurement)."
)


def busy_limit(threads: int) -> float:
    """Other processes' CPU (cores) above which a measurement with ``threads`` threads is disturbed."""
    return max(0, (os.cpu_count() or 1) - threads) + BUSY_CORES


#: Short calls are repeated until this much time was timed (at most MAX_REPEATS calls): five
#: 2 ms calls right after an idle wait measure a cold CPU (on the KVM guest of NOTES.md the
#: first ~10 ms after idling ran ~1.4x slower), as ``timeit``'s autorange avoids.
MIN_TIMED_S = 0.25
MAX_REPEATS = 200
#: Calls shorter than this get untimed calls for this long first: after ``--wait-quiet``
#: idling, the first configuration of a run measured its (sub-ms) native step at 1.2-1.9 ms
#: against 0.7-1.0 ms later in the same process (NOTES.md, fifth pass).
SPIN_UP_S = 0.2


def _spin_up(fn: Callable[[], Any], seconds: float = SPIN_UP_S) -> None:
    """Untimed calls of ``fn`` for about ``seconds`` (at most :data:`MAX_REPEATS`)."""
    t0 = time.perf_counter()
    for _ in range(MAX_REPEATS):
        if time.perf_counter() - t0 >= seconds:
            break
        fn()


def _timed_interleaved(
    fns: Sequence[Callable[[], Any]], repeats: int, spin_up: Sequence[bool] | None = None
) -> list[dict[str, Any] | BaseException]:
    """Timed calls of several contenders in alternating rounds, then one call each for peak memory.

    ``repeats`` rounds; in each round every contender gets one *slot*: calls back to back
    until the slot holds ``MIN_TIMED_S / repeats`` of timed calls (at least one call, at most
    :data:`MAX_REPEATS` calls in all). The order of the slots reverses every round (A B, B A,
    ...). So every contender is timed in the same stretch of wall time: on a machine whose
    speed drifts over seconds (a shared host: the same step took 3.9 ms and 7.0 ms in two
    runs an hour apart, NOTES.md sixth pass), one-after-the-other timing put the contenders
    of a ratio in different machine states; interleaved, the drift moves numerator and
    denominator together. With one function this is :func:`timeit`'s autorange.

    ``spin_up[i]``: first call ``fns[i]`` untimed for :data:`SPIN_UP_S` (for short calls).

    The timed calls run with the garbage collector paused (one collection before them), as
    ``timeit`` does: a collection before every call evicts the CPU caches and cost short
    calls ~1 ms each. They also run as in a training loop: the allocator keeps the memory
    it got from the operating system. The peak-memory calls come after them, from a trimmed
    heap (``malloc_trim``), so they count everything the call touches; trimming before every
    timed call would add the page faults of re-mapping all that memory to each time.

    Other processes' CPU is read once around all rounds (the same value for every
    contender): summed per call, the 10 ms tick accounting of ``/proc`` showed 0.7-1.2 cores
    "used by others" around 0.5 ms calls on an idle machine (0.0-0.06 measured over the
    whole loop), which flagged quiet short rows as disturbed.

    Returns:
        Per function, its timing fields, or the exception one of its calls raised (that
        function is dropped from the later rounds).
    """
    k = len(fns)
    times: list[list[float]] = [[] for _ in fns]
    failed: dict[int, BaseException] = {}
    slot = MIN_TIMED_S / repeats
    gc.collect()
    gc.disable()  # as timeit does: no collection pauses inside the timed calls
    try:
        for i, fn in enumerate(fns):
            if spin_up is not None and spin_up[i]:
                try:
                    _spin_up(fn)
                except Exception as e:
                    failed[i] = e
        t_start = time.perf_counter()
        with OtherCpu() as oc:
            for rnd in range(repeats):
                for i in range(k) if rnd % 2 == 0 else range(k - 1, -1, -1):
                    if i in failed:
                        continue
                    spent, calls = 0.0, 0
                    while calls == 0 or (spent < slot and len(times[i]) < MAX_REPEATS):
                        try:
                            t0 = time.perf_counter()
                            out = fns[i]()
                            dt_call = time.perf_counter() - t0
                        except Exception as e:
                            failed[i] = e
                            break
                        del out
                        times[i].append(dt_call)
                        spent, calls = spent + dt_call, calls + 1
        window = time.perf_counter() - t_start
    finally:
        gc.enable()
    results: list[dict[str, Any] | BaseException] = []
    for i, fn in enumerate(fns):
        if i in failed:
            results.append(failed[i])
            continue
        gc.collect()
        try:
            with PeakMemory() as pm:
                out = fn()
                del out
        except Exception as e:
            results.append(e)
            continue
        results.append(
            {
                "median_s": statistics.median(times[i]),
                "min_s": min(times[i]),
                "repeats": len(times[i]),
                "peak_mem_mb": round(pm.peak_bytes / 2**20, 2),
                "other_cpu": None if oc.cores is None else round(oc.cores, 2),
                "timed_window_s": round(window, 3),
                "interleaved": k,
            }
        )
    return results


@dataclass
class Contender:
    """One contender of a configuration, for :func:`run_cases`.

    Attributes:
        name: Contender name (the ``contender`` column).
        dtype: Precision the contender actually uses.
        build: Prepares everything that is not timed and returns the timed callable (may
            raise :class:`Skip`).
        check: Maps the warm-up call's result to a deviation from the native reference.
        mem_estimate: Bytes the run is expected to need; skipped above 80% of available.
        tolerance: When set, the contender is timed only if ``check`` returned a deviation
            ``<= tolerance``; otherwise (or when ``check`` has no reference, ``None``) its row is
            an ``error`` that records the deviation, and it is not timed.
    """

    name: str
    dtype: str
    build: Callable[[], Callable[[], Any]]
    check: Callable[[Any], float | None] | None = None
    mem_estimate: float | None = None
    tolerance: float | None = None


@dataclass
class _Pending:
    """A contender that passed its warm-up and waits for the timed rounds."""

    row: dict[str, Any]
    fn: Callable[[], Any]
    label: str


def _finish_row(
    row: dict[str, Any], label: str, status: str, reason: str, log: Callable[[str], None]
) -> dict[str, Any]:
    row["status"], row["reason"] = status, reason
    if status == "ok":
        warn = f" [disturbed: others used {row['other_cpu']:.2f} cores]" if row["disturbed"] else ""
        log(
            f"{label}: median {_fmt_s(row['median_s'])} (min {_fmt_s(row['min_s'])}), "
            f"peak +{row['peak_mem_mb']:.1f} MB, check {row['check']}{warn}"
        )
    else:
        log(f"{label}: {status}: {reason}")
    return row


def _error_reason(e: BaseException) -> str:
    if isinstance(e, MemoryError):
        return f"out of memory: {type(e).__name__}: {e}"[:400]
    tb = traceback.extract_tb(e.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"{type(e).__name__}: {e}{where}"[:400]


def _warm_up(
    case: dict[str, Any],
    c: Contender,
    settings: Settings,
    registry: SlowRegistry | None,
    size_keys: Sequence[str],
    log: Callable[[str], None],
) -> dict[str, Any] | _Pending:
    """Build and warm up one contender: a finished row (skipped, error) or a :class:`_Pending`."""
    row: dict[str, Any] = {k: None for k in FIELDS}
    row.update(case)
    row.update(
        contender=c.name,
        dtype=c.dtype,
        threads=settings.threads,
        status="ok",
        reason="",
        repeats=0,
        versions=settings.versions,
    )
    size = {k: int(row[k]) for k in size_keys if row.get(k) is not None}
    label = f"[{row['workload']}] {c.name:<22} " + " ".join(f"{k}={v}" for k, v in size.items())
    if row.get("shots") is not None and "shots" not in size:
        label += f" shots={row['shots']}"
    if registry is not None and (s := registry.dominated(c.name, size)) is not None:
        return _finish_row(
            row,
            label,
            "skipped",
            f"too slow: the smaller configuration {s} already exceeded --max-seconds",
            log,
        )
    if c.mem_estimate is not None and c.mem_estimate > 0.8 * available_bytes():
        return _finish_row(
            row,
            label,
            "skipped",
            f"estimated memory {c.mem_estimate / 2**30:.1f} GiB > 80% of the "
            f"{available_bytes() / 2**30:.1f} GiB available",
            log,
        )
    if settings.wait_quiet > 0:
        row["waited_s"] = round(wait_quiet(settings.wait_quiet, busy_limit(settings.threads) - 0.05), 1)
    row["started"] = dt.datetime.now().isoformat(timespec="seconds")
    row["load1"] = round(os.getloadavg()[0], 2)
    try:
        fn = c.build()
        gc.collect()
        with OtherCpu() as oc:
            t0 = time.perf_counter()
            res = fn()
            row["first_s"] = time.perf_counter() - t0
        dev = None if c.check is None else c.check(res)
        row["check"] = None if dev is None else float(f"{dev:.3g}")
        del res
        if c.tolerance is not None:  # verified before timing: a contender that disagrees is not timed
            row["tolerance"] = c.tolerance
            if dev is None:
                return _finish_row(
                    row, label, "error", "no reference value to verify against; not timed", log
                )
            if not dev <= c.tolerance:  # NaN fails too
                reason = (
                    f"disagrees with the reference: check {dev:.3g} > tolerance {c.tolerance:g}; not timed"
                )
                return _finish_row(row, label, "error", reason, log)
        too_slow = row["first_s"] * settings.repeats > settings.max_seconds
        if too_slow and settings.wait_quiet > 0 and (oc.cores or 0) > busy_limit(settings.threads):
            # a disturbed warm-up must not decide the skip: wait for quiet and time one more call
            wait_quiet(settings.wait_quiet, busy_limit(settings.threads) - 0.05)
            t0 = time.perf_counter()
            del_me = fn()
            row["first_s"] = min(row["first_s"], time.perf_counter() - t0)
            del del_me
        if row["first_s"] * settings.repeats > settings.max_seconds:
            if registry is not None:
                registry.add(c.name, size)
            return _finish_row(
                row,
                label,
                "skipped",
                f"too slow: warm-up took {row['first_s']:.2f} s, so {settings.repeats} "
                f"repeats would take ~{row['first_s'] * settings.repeats:.0f} s "
                f"> --max-seconds {settings.max_seconds:g}",
                log,
            )
    except Skip as e:
        return _finish_row(row, label, "skipped", str(e), log)
    except Exception as e:
        return _finish_row(row, label, "error", _error_reason(e), log)
    return _Pending(row, fn, label)


def _time_pending(group: list[_Pending], settings: Settings, log: Callable[[str], None]) -> None:
    """Time ``group`` together (:func:`_timed_interleaved`); a disturbed run is repeated once
    after a quiet-wait (with ``--wait-quiet``), keeping the less disturbed of the two."""
    fns = [p.fn for p in group]
    spin = [(p.row["first_s"] or 0) < SPIN_UP_S for p in group]
    limit = busy_limit(settings.threads)
    best: list[dict[str, Any] | BaseException] | None = None
    best_cpu = math.inf
    for attempt in range(2 if settings.wait_quiet > 0 else 1):
        if attempt:  # the machine was busy: wait for quiet and measure again
            wait_quiet(settings.wait_quiet, limit - 0.05)
        res = _timed_interleaved(fns, settings.repeats, spin)
        cpu = max((r["other_cpu"] or 0 for r in res if isinstance(r, dict)), default=0.0)
        for r in res:
            if isinstance(r, dict):
                r["attempts"] = attempt + 1
        if best is None or cpu < best_cpu:
            best, best_cpu = res, cpu
        if best_cpu <= limit:
            break
    assert best is not None
    for p, r in zip(group, best):
        if isinstance(r, BaseException):
            _finish_row(p.row, p.label, "error", _error_reason(r), log)
            continue
        p.row.update(r)
        # below ~0.2 s of timed calls one 10 ms scheduler tick is already 0.05 cores: too coarse to tell
        p.row["disturbed"] = (p.row["other_cpu"] or 0) > limit and r["timed_window_s"] >= MIN_BUSY_WINDOW_S
        _finish_row(p.row, p.label, "ok", "", log)


def run_cases(
    case: dict[str, Any],
    contenders: Sequence[Contender],
    settings: Settings,
    *,
    registry: SlowRegistry | None = None,
    size_keys: Sequence[str] = ("n", "B", "L"),
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Time several contenders on one configuration, never raising.

    Each contender is built and warmed up in the given order (so a reference contender's
    warm-up can feed the others' ``check``); the ones that pass are then timed together in
    alternating rounds (:func:`_timed_interleaved`), unless ``settings.interleave`` is off,
    when each is timed alone right after its warm-up.

    Args:
        case: Configuration fields of the rows (``workload``, ``n``, ``B``, ``L``, ``shots``, ...).
        contenders: The contenders, in warm-up order.
        settings: Repeats, cap, threads, interleaving.
        registry: Too-slow configurations of earlier calls.
        size_keys: Row fields that grow the cost (for the too-slow propagation).
        log: Where progress lines go.

    Returns:
        One result row per contender (see :data:`FIELDS`); ``status`` is ``ok``, ``skipped``
        or ``error``.
    """
    rows: list[dict[str, Any]] = []
    pending: list[_Pending] = []
    try:
        for c in contenders:
            got = _warm_up(case, c, settings, registry, size_keys, log)
            if isinstance(got, _Pending):
                rows.append(got.row)
                if settings.interleave:
                    pending.append(got)
                else:
                    _time_pending([got], settings, log)
                    del got
                    gc.collect()
            else:
                rows.append(got)
        if pending:
            _time_pending(pending, settings, log)
    finally:
        pending.clear()
        gc.collect()
    return rows


def run_case(
    case: dict[str, Any],
    contender: str,
    dtype: str,
    build: Callable[[], Callable[[], Any]],
    settings: Settings,
    *,
    check: Callable[[Any], float | None] | None = None,
    mem_estimate: float | None = None,
    registry: SlowRegistry | None = None,
    size_keys: Sequence[str] = ("n", "B", "L"),
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Time one contender on one configuration alone, never raising (:func:`run_cases` with
    one :class:`Contender`)."""
    return run_cases(
        case,
        [Contender(contender, dtype, build, check, mem_estimate)],
        settings,
        registry=registry,
        size_keys=size_keys,
        log=log,
    )[0]


def max_abs_diff(a: Any, b: Any) -> float:
    """``max |a - b|`` of two array-likes (tensors are detached and moved to NumPy)."""

    def arr(v: Any) -> np.ndarray:
        return v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)

    return float(np.max(np.abs(arr(a).astype(np.float64) - arr(b).astype(np.float64))))


# ----------------------------------------------------------------------------------------
# Results: ratios, files, tables, plots
# ----------------------------------------------------------------------------------------


def add_ratios(
    rows: list[dict[str, Any]], reference: str | Callable[[dict[str, Any]], str], key_fields: Sequence[str]
) -> None:
    """Set ``ratio_vs_native`` = contender median / reference median for the same configuration.

    Also sets ``ratio_min`` = contender min / reference min, the more robust estimate when
    other processes disturbed the measurement.

    Args:
        rows: Result rows (modified in place).
        reference: Reference contender name, or a function of a row giving it.
        key_fields: Fields that identify a configuration.
    """
    ref_of = reference if callable(reference) else (lambda _r: reference)
    by_key = {(r["contender"], *[r.get(k) for k in key_fields]): r for r in rows}
    for r in rows:
        ref = by_key.get((ref_of(r), *[r.get(k) for k in key_fields]))
        ok = r["status"] == "ok" and ref is not None and ref["status"] == "ok" and ref["median_s"]
        r["ratio_vs_native"] = round(r["median_s"] / ref["median_s"], 3) if ok else None
        r["ratio_min"] = round(r["min_s"] / ref["min_s"], 3) if ok else None


def write_results(
    rows: list[dict[str, Any]], settings: Settings, stem: str, meta: dict[str, Any]
) -> dict[str, Path]:
    """Write ``<stem>.csv`` and ``<stem>.json`` (rows plus run metadata) to ``settings.out``."""
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    extra = sorted({k for r in rows for k in r} - set(FIELDS))
    cols = [*FIELDS, *extra]
    csv_path, json_path = out / f"{stem}.csv", out / f"{stem}.json"
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=cols)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    doc = {"meta": meta, "rows": rows}
    json_path.write_text(json.dumps(doc, indent=1, default=str))
    return {"csv": csv_path, "json": json_path}


def git_head() -> str:
    """The checked-out commit (read-only ``git rev-parse``), or ``"unknown"``."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_meta(settings: Settings, workload: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Metadata stored next to the rows: date, machine, threads, dtype, protocol."""
    meta = {
        "workload": workload,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "threads": settings.threads,
        "dtype": settings.dtype,
        "repeats": settings.repeats,
        "max_seconds": settings.max_seconds,
        "timing": "interleaved" if settings.interleave else "sequential",
        "versions": json.loads(settings.versions),
        "command": " ".join(sys.argv),
        "git_head": git_head(),
    }
    meta.update(extra or {})
    return meta


def _cell(r: dict[str, Any] | None, markdown: bool = False) -> str:
    if r is None:
        return "-"
    if r["status"] != "ok":
        word = "skip" if r["status"] == "skipped" else "error"
        return f"{word} ({_fmt_s(r['first_s'])} 1st)" if r.get("first_s") else word
    ratio, rmin = r.get("ratio_vs_native"), r.get("ratio_min")
    mem = r.get("peak_mem_mb")
    txt = _fmt_s(r["median_s"])
    if ratio is not None:
        txt += f" ×{ratio:.2f} (min ×{rmin:.2f})" if markdown else f"\n×{ratio:.2f} (min ×{rmin:.2f})"
    if mem is not None:
        txt += f" ({mem:.0f} MB)" if markdown else f"\n{mem:.0f} MB"
    if r.get("disturbed"):
        txt += " †"
    return txt


def _grid(rows: list[dict[str, Any]], key_fields: Sequence[str]) -> tuple[list[str], list[tuple], dict]:
    contenders = list(dict.fromkeys(r["contender"] for r in rows))
    keys = list(dict.fromkeys(tuple(r.get(k) for k in key_fields) for r in rows))
    cell = {(r["contender"], tuple(r.get(k) for k in key_fields)): r for r in rows}
    return contenders, keys, cell


def ratio_table(rows: list[dict[str, Any]], key_fields: Sequence[str], title: str) -> Any:
    """A rich table: one line per configuration, per contender its median, ratio and memory."""
    from rich.table import Table

    contenders, keys, cell = _grid(rows, key_fields)
    table = Table(title=title, show_lines=True)
    for k in key_fields:
        table.add_column(k, justify="right")
    for c in contenders:
        table.add_column(c, justify="right")
    for key in keys:
        table.add_row(*[str(v) for v in key], *[_cell(cell.get((c, key))) for c in contenders])
    return table


def markdown_table(rows: list[dict[str, Any]], key_fields: Sequence[str]) -> str:
    """The :func:`ratio_table` as Markdown (``median ×ratio (min ×ratio of minima) peak MB``)."""
    contenders, keys, cell = _grid(rows, key_fields)
    lines = [
        "| " + " | ".join([*key_fields, *contenders]) + " |",
        "|" + "---:|" * (len(key_fields) + len(contenders)),
    ]
    for key in keys:
        cells = [str(v) for v in key] + [_cell(cell.get((c, key)), markdown=True) for c in contenders]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def skip_list(rows: list[dict[str, Any]]) -> str:
    """Markdown bullet list of the skipped or failed rows with their reasons."""
    lines = []
    for r in rows:
        if r["status"] != "ok":
            size = " ".join(f"{k}={r[k]}" for k in ("n", "B", "L", "shots") if r.get(k) is not None)
            lines.append(f"- {r['contender']} {size}: {r['status']}: {r['reason']}")
    return "\n".join(lines) + ("\n" if lines else "")


def print_table(rows: list[dict[str, Any]], key_fields: Sequence[str], title: str) -> None:
    """Print :func:`ratio_table` with rich."""
    from rich.console import Console

    Console(width=200).print(ratio_table(rows, key_fields, title))


def plot_times(
    rows: list[dict[str, Any]], path: Path, panel_fields: Sequence[str], title: str, x_field: str = "n"
) -> Path | None:
    """Median time vs ``x_field`` (log y), one line per contender, one subplot per panel value.

    Returns:
        The PNG path, or ``None`` when no row succeeded.
    """
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r["status"] == "ok" and r["median_s"]]
    if not ok:
        return None
    panels = list(dict.fromkeys(tuple(r.get(k) for k in panel_fields) for r in rows))
    ncols = min(len(panels), 3)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.9 * nrows), squeeze=False)
    contenders = list(dict.fromkeys(r["contender"] for r in rows))
    markers = "osD^v<>ph*"
    for ax, panel in zip(axes.flat, panels):
        for ci, c in enumerate(contenders):
            pts = sorted(
                (r[x_field], r["median_s"])
                for r in ok
                if r["contender"] == c and tuple(r.get(k) for k in panel_fields) == panel
            )
            if pts:
                ax.plot(*zip(*pts), marker=markers[ci % len(markers)], label=c)
        ax.set_yscale("log")
        ax.set_xlabel("qubits" if x_field == "n" else x_field)
        ax.set_ylabel("median time [s]")
        ax.set_title(", ".join(f"{k}={v}" for k, v in zip(panel_fields, panel)) or title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def finish(
    rows: list[dict[str, Any]],
    settings: Settings,
    stem: str,
    key_fields: Sequence[str],
    panel_fields: Sequence[str],
    title: str,
    meta_extra: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write CSV, JSON, Markdown and PNG, and print the ratio table; returns the paths."""
    paths = write_results(rows, settings, stem, run_meta(settings, stem, meta_extra))
    md = settings.out / f"{stem}.md"
    md.write_text(
        f"### {title}\n\n" + markdown_table(rows, key_fields) + "\n" + BUSY_NOTE + "\n\n" + skip_list(rows)
    )
    paths["md"] = md
    if settings.plot:
        png = plot_times(rows, settings.out / f"{stem}.png", panel_fields, title)
        if png is not None:
            paths["png"] = png
    print_table(rows, key_fields, title)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return paths


# ----------------------------------------------------------------------------------------
# Profiling
# ----------------------------------------------------------------------------------------


def profile_call(fn: Callable[[], Any], label: str, settings: Settings, top: int = 25) -> str:
    """Profile one call of ``fn`` with torch.profiler (ops) and cProfile (Python code).

    The tables are printed and written to ``<out>/profile_<label>.txt``; the text is returned.
    """
    import cProfile
    import pstats

    fn()  # warm
    with torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True, profile_memory=True
    ) as prof:
        fn()
    ops = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)
    shapes = prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=top)
    memory = prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=top)
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(top)
    text = (
        f"# profile: {label}\n\n## torch.profiler, by self CPU time\n{ops}\n\n"
        f"## torch.profiler, by input shape\n{shapes}\n\n"
        f"## torch.profiler, by allocated memory\n{memory}\n\n"
        f"## cProfile, by tottime\n{buf.getvalue()}"
    )
    settings.out.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)
    (settings.out / f"profile_{safe}.txt").write_text(text)
    print(text)
    return text


def iter_grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """All combinations of the given axes, the last one varying fastest."""
    combos: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        combos = [{**c, name: v} for c in combos for v in values]
    return combos
