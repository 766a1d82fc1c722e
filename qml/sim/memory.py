"""Memory guard: estimate what a simulation needs before allocating, and refuse clearly.

Example:
    >>> est = estimate_bytes(n_wires=20, batch=1, itemsize=16, states=4)
    >>> est // 2**20
    64
"""

from __future__ import annotations

import torch

from qml import config
from qml.errors import QMLError

__all__ = ["SimulationMemoryError", "available_bytes", "check_bytes", "check_fits", "estimate_bytes"]


class SimulationMemoryError(MemoryError, QMLError):  # MemoryError first: its __new__ (unpickling)
    """Raised before a run that would not fit in memory; the message says what to change.

    Example:
        >>> import torch
        >>> try:
        ...     check_fits(40, 1, torch.complex128, 3, "forward")
        ... except SimulationMemoryError as err:
        ...     print(str(err)[:44])
        forward simulation of 40 qubits with batch 1
    """


_SMALL = 16 * 2**20


def estimate_bytes(n_wires: int, batch: int, itemsize: int, states: int) -> int:
    """Bytes for ``states`` batched statevectors of ``2**n_wires`` amplitudes."""
    result: int = states * batch * (2**n_wires) * itemsize
    return result


def available_bytes(device: torch.device | str = "cpu") -> int:
    """Free memory on ``device``: ``MemAvailable`` (Linux) or psutil on CPU, free memory on CUDA.

    The environment variable ``QML_MEMORY_LIMIT`` (bytes, or with suffix K/M/G) caps it,
    which is useful on shared machines and in tests.
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        free, _ = torch.cuda.mem_get_info(dev)
        avail = int(free)
    else:
        avail = _host_available()
    cap = config.memory_limit()
    if cap is not None:
        avail = min(avail, cap)
    return avail


def _host_available() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - non-Linux without psutil
        return 2**62


def _fmt(n: float) -> str:
    if isinstance(n, int) and n >= 2**50:  # beyond a PiB (and beyond a float for 2^1030 qubits)
        return f"2^{n.bit_length() - 1} B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def check_bytes(
    need: int, what: str, advice: str, device: torch.device | str = "cpu", fraction: float = 0.8
) -> int:
    """Raise :class:`SimulationMemoryError` if ``need`` bytes exceed ``fraction`` of free memory.

    For runs whose size is not a number of statevectors (an MPS, an angle table).

    Args:
        need: The estimate in bytes.
        what: The run, for the message (``"an MPS run of 64 qubits"``).
        advice: What to try instead.
        device: Where it runs.
        fraction: Share of the free memory a run may take.

    Returns:
        ``need``.

    Example:
        >>> check_bytes(1024, "a tiny run", "nothing")
        1024
    """
    if need < _SMALL and not config.is_set("QML_MEMORY_LIMIT"):
        return need  # not worth a query of the free memory on every call
    avail = available_bytes(device)
    if need > fraction * avail:
        _refuse(need, avail, what, device, advice)
    return need


def _refuse(need: int, avail: int, what: str, device: torch.device | str, advice: str) -> None:
    raise SimulationMemoryError(
        f"{what} needs about {_fmt(need)}, but only {_fmt(avail)} is free on {device}. Try {advice}."
    )


def check_fits(
    n_wires: int,
    batch: int,
    dtype: torch.dtype,
    states: int,
    mode: str,
    device: torch.device | str = "cpu",
    fraction: float = 0.8,
    advice: str | None = None,
) -> int:
    """Raise :class:`SimulationMemoryError` if the run would need more than ``fraction`` of free memory.

    Args:
        n_wires: Qubits.
        batch: Batch size of the state.
        dtype: State dtype.
        states: How many batched states the mode keeps alive at once.
        mode: Description of the run for the message (e.g. ``"backprop"``).
        device: Where it runs.
        fraction: Share of the free memory a run may take.
        advice: What to try instead, for runs that are not statevector simulations
            (the message then names ``mode`` alone).

    Returns:
        The estimate in bytes.
    """
    itemsize = torch.empty((), dtype=dtype).element_size()
    need = estimate_bytes(n_wires, batch, itemsize, states)
    if need < _SMALL and not config.is_set("QML_MEMORY_LIMIT"):
        return need  # not worth a query of the free memory on every call
    avail = available_bytes(device)
    if need > fraction * avail:
        hints = []
        if mode == "backprop":
            hints.append("diff='adjoint' (keeps O(1) states instead of one per gate)")
        if batch > 1:
            hints.append(f"a smaller batch (now {batch})")
        if dtype in (torch.complex128, torch.float64):
            hints.append("dtype=torch.complex64 (half the memory)")
        if advice is not None:
            _refuse(need, avail, f"{mode}{f' of {n_wires} qubits' if n_wires else ''}", device, advice)
        raise SimulationMemoryError(
            f"{mode} simulation of {n_wires} qubits with batch {batch} in {dtype} needs about "
            f"{_fmt(need)} ({states} states of {_fmt(need // states)}), but only {_fmt(avail)} is free "
            f"on {device}. Try " + (", or ".join(hints) if hints else "fewer qubits") + "."
        )
    return need
