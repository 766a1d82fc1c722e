"""Seeded weight initialisation and identity-block circuits (Grant et al. 2019).

Example:
    >>> from qml.templates.layers import strongly_entangling
    >>> w = init_weights(strongly_entangling(2, 1), "small", seed=0)
    >>> w.shape, bool(w.abs().max() <= 0.01)
    (torch.Size([6]), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from qml.errors import CircuitError
from qml.ir import Circuit
from qml.templates._common import check_int, choices

#: Strategies understood by :func:`init_weights`.
INIT_STRATEGIES: tuple[str, ...] = ("uniform", "small", "normal", "zeros")
#: Default ``scale`` of each strategy.
DEFAULT_SCALES: dict[str, float] = {"uniform": math.pi, "small": 0.01, "normal": 1.0, "zeros": 0.0}


def _generator(seed: int | None) -> torch.Generator:
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(check_int("seed", seed, 0))
    return g


def _check(strategy: str, scale: float | None) -> float:
    if strategy not in INIT_STRATEGIES:
        raise CircuitError(f"unknown strategy {strategy!r}; expected one of {choices(INIT_STRATEGIES)}")
    if scale is None:
        return DEFAULT_SCALES[strategy]
    ok = not isinstance(scale, bool) and isinstance(scale, (int, float)) and math.isfinite(scale)
    if not ok or scale <= 0:
        raise CircuitError(f"scale must be a finite number > 0, got {scale!r}")
    return float(scale)


def _sample(
    shape: tuple[int, ...], strategy: str, scale: float, gen: torch.Generator, dtype: torch.dtype
) -> torch.Tensor:
    if strategy == "zeros":
        return torch.zeros(shape, dtype=dtype)
    if strategy == "normal":
        return torch.randn(shape, generator=gen, dtype=torch.float64).mul_(scale).to(dtype)
    return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1).mul_(scale).to(dtype)


def init_weights(
    circuit: Circuit | int,
    strategy: str = "uniform",
    seed: int | None = None,
    scale: float | None = None,
    batch: int | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Initial weights for a circuit, reproducible with ``seed``.

    Strategies (``scale`` default in brackets):

    * ``"uniform"``: uniform in ``[-scale, scale)`` (``pi``: the full period);
    * ``"small"``: uniform in ``[-scale, scale)`` (``0.01``: near the identity-ish
      all-zero point, a common barren-plateau mitigation);
    * ``"normal"``: normal with mean 0 and standard deviation ``scale`` (``1.0``);
    * ``"zeros"``: all zeros.

    The same ``seed`` always gives the same weights (a private ``torch.Generator`` is
    used; the global RNG is untouched). ``seed=None`` draws fresh randomness.

    The circuit of the example below (2 weights)::

        0: ─RX─RY─

    Args:
        circuit: The circuit (its ``n_weights`` is used) or a number of weights.
        strategy: One of ``"uniform"``, ``"small"``, ``"normal"``, ``"zeros"``.
        seed: Non-negative integer seed, or None.
        scale: Range / standard deviation (see above); must be > 0.
        batch: If given, return ``(batch, n_weights)`` independent draws.
        dtype: Floating dtype of the result.

    Returns:
        A tensor of shape ``(n_weights,)`` or ``(batch, n_weights)``.

    Raises:
        ValueError: For an unknown strategy, a bad scale, seed or batch.

    Example:
        >>> from qml.ir import Circuit, W
        >>> c = Circuit(1).add("RX", 0, W(0)).add("RY", 0, W(1))
        >>> torch.equal(init_weights(c, seed=3), init_weights(c, seed=3))
        True
    """
    n = circuit.n_weights if isinstance(circuit, Circuit) else check_int("n_weights", circuit, 0)
    s = _check(strategy, scale)
    shape = (n,) if batch is None else (check_int("batch", batch, 1), n)
    return _sample(shape, strategy, s, _generator(seed), dtype)


def identity_blocks(
    block_fn: Circuit | Callable[[int], Circuit],
    n_blocks: int,
    strategy: str = "uniform",
    seed: int | None = None,
    scale: float | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[Circuit, torch.Tensor]:
    """Identity-block initialisation (Grant et al., Quantum 3, 214, 2019).

    The circuit is ``n_blocks`` pairs ``B_b(a_b) B_b(c_b)^dagger`` in sequence, where
    ``B_b = block_fn(b)`` (or the same circuit every time). Each pair has its own
    weights: ``a_b`` drive ``B_b`` and ``c_b`` drive the inverted copy (built with
    :meth:`~qml.ir.Circuit.inverse`, so every gate angle is negated / the gate order
    reversed). The weights are **not tied**: initially ``c_b = a_b`` (``a_b`` drawn with
    :func:`init_weights`), so every pair, and thus the whole circuit, is exactly the
    identity; training then moves ``a_b`` and ``c_b`` independently.

    Weight layout: pair ``b`` occupies ``2 P_b`` consecutive weights ``[a_b, c_b]``
    (``P_b`` = ``block_fn(b).n_weights``). Inputs read by a block are shared by all blocks.

    ``block = RY(w0) @ 0, CNOT``, one pair::

        0: ─RY─●─●─RY─
        1: ────X─X────

    Args:
        block_fn: A block circuit, or a function ``b -> Circuit`` for block ``b``.
        n_blocks: Number of block pairs (at least 1).
        strategy: Initialisation of the ``a_b`` (see :func:`init_weights`).
        seed: Seed for reproducible initial weights.
        scale: Scale of the strategy.
        dtype: Floating dtype of the weights.

    Returns:
        ``(circuit, initial_weights)``; the circuit evaluated at ``initial_weights`` is the identity.

    Raises:
        ValueError: For a bad ``n_blocks``, a ``block_fn`` that does not return a Circuit,
            blocks of different widths, or bad strategy arguments.

    Example:
        >>> from qml.templates.layers import hardware_efficient
        >>> c, w0 = identity_blocks(hardware_efficient(2, 1), n_blocks=2, seed=0)
        >>> c.n_weights, w0.shape
        (32, torch.Size([32]))
    """
    nb = check_int("n_blocks", n_blocks, 1)
    s = _check(strategy, scale)
    gen = _generator(seed)
    circuit: Circuit | None = None
    weights: list[torch.Tensor] = []
    for b in range(nb):
        blk = block_fn if isinstance(block_fn, Circuit) else block_fn(b) if callable(block_fn) else None
        if not isinstance(blk, Circuit):
            raise CircuitError(
                f"block_fn must be a Circuit or a function returning one; got {blk!r} for block {b}"
            )
        if circuit is not None and blk.n_wires != circuit.n_wires:
            raise CircuitError(f"block {b} has {blk.n_wires} wires but block 0 has {circuit.n_wires}")
        pair = blk.then(blk.inverse())
        circuit = pair if circuit is None else circuit.then(pair)
        a = _sample((blk.n_weights,), strategy, s, gen, dtype)
        weights += [a, a.clone()]
    assert circuit is not None
    c = circuit
    circuit = Circuit(c.n_wires, c.ops, c.n_weights, c.n_inputs, name="identity_blocks")
    return circuit, torch.cat(weights)


__all__ = ["DEFAULT_SCALES", "INIT_STRATEGIES", "identity_blocks", "init_weights"]
