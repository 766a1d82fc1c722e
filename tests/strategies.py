"""Hypothesis strategies for random circuits, shared by the test suite.

Usage::

    from hypothesis import given, settings
    from strategies import circuits_with_values, random_circuits, weights_and_inputs

    @settings(max_examples=15, deadline=None)
    @given(circuits_with_values(max_wires=4))
    def test_something(case):
        circuit, weights, inputs = case
        ...

* :func:`random_circuits` draws a :class:`~qml.ir.Circuit` of ``1..max_wires`` wires
  with up to ``max_ops`` gates from :data:`qml.gates.GATES` (``Unitary`` included, with a
  Haar-random matrix on 1-3 wires seeded by Hypothesis), and angles mixing constants,
  ``W(i)``, ``X(j)``, affine and product expressions (:func:`params`).
* :func:`weights_and_inputs` draws matching ``(weights, inputs)`` float64 arrays for a
  circuit, optionally batched; :func:`circuits_with_values` draws all three together.
* :func:`random_values` is the same without Hypothesis (a NumPy seed), for plain tests;
  :func:`every_gate_circuit` is a fixed-seed circuit that applies every gate at least once.

Everything is deterministic given Hypothesis' choices, so failures shrink and replay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from hypothesis import strategies as st
from scipy.stats import unitary_group

from qml.gates import GATES
from qml.ir import Circuit, Param, W, X

#: Every gate name, ``Unitary`` included.
ALL_GATES: tuple[str, ...] = tuple(sorted(GATES))
#: Every gate name except ``Unitary`` (e.g. for OpenQASM, which cannot express it).
NO_UNITARY: tuple[str, ...] = tuple(g for g in ALL_GATES if g != "Unitary")

_ANGLE = st.floats(-math.pi, math.pi, allow_nan=False, allow_infinity=False)
_COEFF = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


def _gate_wires(name: str) -> int:
    """Minimum wires a gate needs (``Unitary``: 1)."""
    return GATES[name].n_wires or 1


def params(max_weights: int = 4, max_inputs: int = 3) -> st.SearchStrategy[Param]:
    """Random angle expressions.

    Draws one of: a constant, ``W(i)``, ``X(j)``, ``a*W(i) + b``, ``a*X(j)``,
    ``a*W(i)*X(j)``, ``W(i) + X(j)``, or the ZZ-feature-map product
    ``(pi - X(j)) * (pi - X(k))``; with ``i < max_weights`` and ``j, k < max_inputs``
    (a kind is skipped when its bound is 0).
    """
    w = st.integers(0, max_weights - 1) if max_weights > 0 else None
    x = st.integers(0, max_inputs - 1) if max_inputs > 0 else None
    kinds: list[st.SearchStrategy[Param]] = [_ANGLE.map(Param.of)]
    if w is not None:
        kinds += [
            w.map(W),
            st.builds(lambda i, a, b: a * W(i) + b, w, _COEFF, _ANGLE),
        ]
    if x is not None:
        kinds += [x.map(X), st.builds(lambda j, a: a * X(j), x, _COEFF)]
        kinds.append(st.builds(lambda j, k: (math.pi - X(j)) * (math.pi - X(k)), x, x))
    if w is not None and x is not None:
        kinds += [
            st.builds(lambda i, j, a: a * W(i) * X(j), w, x, _COEFF),
            st.builds(lambda i, j: W(i) + X(j), w, x),
        ]
    return st.one_of(*kinds)


@st.composite
def random_circuits(
    draw: st.DrawFn,
    max_wires: int = 6,
    max_ops: int = 20,
    gates: Iterable[str] | None = None,
    min_wires: int = 1,
    max_weights: int = 4,
    max_inputs: int = 3,
    min_ops: int = 0,
) -> Circuit:
    """Random circuits (a Hypothesis strategy).

    Args:
        draw: Supplied by Hypothesis; call as ``random_circuits(max_wires=4)``.
        max_wires: Largest width drawn (widths are ``min_wires..max_wires``).
        max_ops: Largest number of gates (0 gates can be drawn too).
        gates: Gate names to draw from (default :data:`ALL_GATES`; use
            :data:`NO_UNITARY` to exclude ``Unitary``). Gates wider than the drawn width
            are skipped; ``min_wires`` is raised so that at least one gate fits.
        min_wires: Smallest width drawn.
        max_weights: Weight indices are ``< max_weights`` (``n_weights`` may be smaller
            when not all are used).
        max_inputs: Input indices are ``< max_inputs``.
        min_ops: Fewest gates drawn (raise it so that a small ``max_examples`` budget
            still exercises long circuits).

    Returns:
        A :class:`~qml.ir.Circuit`.
    """
    names = tuple(ALL_GATES if gates is None else gates)
    unknown = [g for g in names if g not in GATES]
    if not names or unknown:
        raise ValueError(f"gates must be a non-empty subset of {ALL_GATES}, got unknown {unknown}")
    lo = max(min_wires, min(_gate_wires(g) for g in names))
    n_wires = draw(st.integers(lo, max(lo, max_wires)))
    fitting = [g for g in names if _gate_wires(g) <= n_wires]
    angle = params(max_weights, max_inputs)
    c = Circuit(n_wires)
    for _ in range(draw(st.integers(min(min_ops, max_ops), max_ops))):
        name = draw(st.sampled_from(fitting))
        k = draw(st.integers(1, min(3, n_wires))) if name == "Unitary" else GATES[name].n_wires
        wires = draw(st.permutations(range(n_wires)))[:k]
        if name == "Unitary":
            seed = draw(st.integers(0, 2**32 - 1))
            c = c.add(name, wires, matrix=unitary_group.rvs(2**k, random_state=seed))
        else:
            c = c.add(name, wires, *(draw(angle) for _ in range(GATES[name].n_params)))
    return c


def weights_and_inputs(
    circuit: Circuit, batch: int | None = None
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Random ``(weights, inputs)`` for ``circuit`` (a Hypothesis strategy).

    Values are float64 in ``[-pi, pi]``; shapes ``(n_weights,)``/``(n_inputs,)``, or
    ``(batch, n_weights)``/``(batch, n_inputs)`` when ``batch`` is given.
    """

    def arrays(n: int) -> st.SearchStrategy[np.ndarray]:
        size = n if batch is None else n * batch
        shape = (n,) if batch is None else (batch, n)
        return st.lists(_ANGLE, min_size=size, max_size=size).map(
            lambda v: np.asarray(v, dtype=np.float64).reshape(shape)
        )

    return st.tuples(arrays(circuit.n_weights), arrays(circuit.n_inputs))


@st.composite
def circuits_with_values(
    draw: st.DrawFn, batch: int | None = None, **circuit_kwargs: object
) -> tuple[Circuit, np.ndarray, np.ndarray]:
    """``(circuit, weights, inputs)``: :func:`random_circuits` (same keyword arguments)
    with matching :func:`weights_and_inputs`."""
    circuit = draw(random_circuits(**circuit_kwargs))  # type: ignore[arg-type]
    weights, inputs = draw(weights_and_inputs(circuit, batch))
    return circuit, weights, inputs


def random_values(circuit: Circuit, seed: int = 0, batch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`weights_and_inputs` but from a NumPy seed, for tests without Hypothesis."""
    rng = np.random.default_rng(seed)
    lead = () if batch is None else (batch,)
    return (
        rng.uniform(-math.pi, math.pi, (*lead, circuit.n_weights)),
        rng.uniform(-math.pi, math.pi, (*lead, circuit.n_inputs)),
    )


def every_gate_circuit(
    n_wires: int = 4, seed: int = 0, gates: Iterable[str] | None = None, repeats: int = 1
) -> Circuit:
    """A circuit applying each gate of ``gates`` (default :data:`ALL_GATES`) ``repeats``
    times on random wires, with polynomial angles in 3 weights and 2 inputs.

    Deterministic given ``seed``; complements the small Hypothesis budgets, which may not
    draw every gate. ``n_wires`` must be at least 4 when ``DoubleExcitation`` is included.
    """
    rng = np.random.default_rng(seed)
    names = [g for g in (ALL_GATES if gates is None else tuple(gates)) for _ in range(repeats)]
    rng.shuffle(names)
    shapes = [
        lambda: W(int(rng.integers(3))),
        lambda: float(rng.uniform(-3, 3)) * W(int(rng.integers(3))) + float(rng.uniform(-1, 1)),
        lambda: X(int(rng.integers(2))) * W(int(rng.integers(3))),
        lambda: (math.pi - X(0)) * (math.pi - X(1)),
        lambda: Param.of(float(rng.uniform(-3, 3))),
    ]
    c = Circuit(n_wires, n_weights=3, n_inputs=2)
    for name in names:
        k = int(rng.integers(1, min(3, n_wires) + 1)) if name == "Unitary" else GATES[name].n_wires
        wires = [int(w) for w in rng.permutation(n_wires)[:k]]
        if name == "Unitary":
            c = c.add(name, wires, matrix=unitary_group.rvs(2**k, random_state=int(rng.integers(2**31))))
        else:
            angles = [shapes[int(rng.integers(len(shapes)))]() for _ in range(GATES[name].n_params)]
            c = c.add(name, wires, *angles)
    return c
