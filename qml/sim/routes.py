"""What the statevector simulator may do (:class:`Methods`) and what one call did (:class:`Route`).

Both are plain data. ``Simulator(methods=...)`` says which evaluation methods a simulator
may use; ``"auto"`` lets the cost models decide (measured on the CPU, benchmarks/NOTES.md),
``"always"`` takes a method wherever it applies and ``"never"`` rules it out, so that a
test or a benchmark can force any route without touching private cost models.
:meth:`qml.Simulator.explain` returns the :class:`Route` an ``expval`` call takes, and
``expval`` logs the same route at DEBUG.

The methods (each applies only where its structure is there):

* ``collapse``: with shared weights and a batch of inputs read only by the first gates,
  the gates after the last input-reading gate act as one matrix built once per call
  (:mod:`qml.sim.collapse`).
* ``numpy_tail``: that shared matrix built in NumPy with its exact matrix adjoint, on the
  CPU, for registers of at most ``numpy_tail_max_wires`` (:mod:`qml.sim.tuning`) qubits under ``"auto"``
  (:data:`NUMPY_TAIL_MAX_WIRES` under ``"always"``); needs ``collapse``.
* ``split``: shallow circuits (few gates across the middle of the register) evaluated from
  two half-width registers (:mod:`qml.sim.split`); forward and backprop only.
* ``numpy_state``: one circuit (one weight row, at most one input row, no input gradient) of
  at most ``numpy_state_max_wires`` (:mod:`qml.sim.tuning`) qubits under ``"auto"``
  (:data:`NUMPY_TAIL_MAX_WIRES` under ``"always"``) run in NumPy with its adjoint gradient,
  on the CPU (:mod:`qml.sim.numpy_state`).
* ``numba_rows``: each row of the batch through the whole circuit in compiled loops, with its
  adjoint gradient, on the CPU, for registers of at most ``numba_rows_max_wires`` qubits under
  ``"auto"`` (:data:`NUMPY_TAIL_MAX_WIRES` under ``"always"``); needs numba, the ``fast`` extra
  (:mod:`qml.sim.numba_rows`).
* ``numba_state``: one circuit's state without gradient (``state``, ``probs``, ``sample``) in
  compiled, cache-blocked sweeps, on the CPU, from ``numba_state_min_wires`` qubits on under
  ``"auto"`` (any register of ``numba_state_lane_bits + 4`` qubits or more under ``"always"``);
  needs numba (:mod:`qml.sim.numba_state`); :meth:`qml.Simulator.state_route` says which
  engine a state call takes.

Example:
    >>> Methods.coerce({"split": "never"}).split
    'never'
    >>> Methods.coerce({"split": "never"}).numba_state
    'auto'
    >>> Methods.coerce("auto") == Methods()
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from qml.errors import ConfigError, ConfigTypeError

__all__ = ["CHOICES", "NUMPY_TAIL_MAX_WIRES", "Choice", "Methods", "Route"]

Choice = Literal["auto", "always", "never"]
#: The values of every :class:`Methods` field.
CHOICES: tuple[str, ...] = ("auto", "always", "never")
#: Widest register the NumPy tail takes when forced (``numpy_tail="always"``): its matrix is ``4**n``.
NUMPY_TAIL_MAX_WIRES = 10


@dataclass(frozen=True)
class Methods:
    """Which evaluation methods a statevector :class:`~qml.Simulator` may use (see the module docstring).

    Attributes:
        collapse: The gates after the last input-reading gate as one shared matrix.
        numpy_tail: That shared matrix in NumPy with its exact adjoint (CPU, small registers).
        split: Two half-width registers for shallow circuits.
        numpy_state: One small circuit in NumPy with its adjoint gradient.
        numba_rows: Every row through the whole circuit in compiled loops (numba).
        numba_state: One circuit's state without gradient in compiled, cache-blocked sweeps (numba).

    Example:
        >>> Methods(split="never").split
        'never'
    """

    collapse: Choice = "auto"
    numpy_tail: Choice = "auto"
    split: Choice = "auto"
    numpy_state: Choice = "auto"
    numba_rows: Choice = "auto"
    numba_state: Choice = "auto"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in CHOICES:
                raise ConfigError(
                    f"methods {f.name}={value!r}: expected one of {', '.join(map(repr, CHOICES))} "
                    "('auto': the cost model decides)"
                )
        if self.numpy_tail == "always" and self.collapse == "never":
            raise ConfigError(
                "numpy_tail='always' builds the collapsed shared tail, which collapse='never' rules out; "
                "allow collapse, or set numpy_tail='never'"
            )

    @staticmethod
    def coerce(value: Methods | str | Mapping[str, str] | None) -> Methods:
        """``"auto"``/``None`` (all auto), a mapping of some fields, or a :class:`Methods`.

        Raises:
            ConfigError: An unknown method or choice.
            ConfigTypeError: Anything else.

        Example:
            >>> Methods.coerce({"numpy_tail": "never"}).numpy_tail
            'never'
        """
        if value is None or (isinstance(value, str) and value == "auto"):
            return Methods()
        if isinstance(value, Methods):
            return value
        if isinstance(value, str):
            raise ConfigError(
                f"methods={value!r}: pass 'auto' or a mapping such as {{'split': 'never'}} "
                f"(methods: {', '.join(f.name for f in fields(Methods))})"
            )
        if not isinstance(value, Mapping):
            raise ConfigTypeError(
                f"methods must be 'auto', a Methods or a mapping such as {{'split': 'never'}}, got "
                f"{type(value).__name__}"
            )
        names = {f.name for f in fields(Methods)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ConfigError(f"unknown methods {unknown}; the methods are {sorted(names)}")
        kwargs: dict[str, Any] = dict(value)
        return Methods(**kwargs)


@dataclass(frozen=True)
class Route:
    """How one :meth:`Simulator.expval` call is computed: data a user can inspect (:meth:`Simulator.explain`).

    Attributes:
        method: ``"statevector"`` or ``"mps"``.
        measure: ``"full state"``, ``"shared tail (NumPy)"``, ``"two-register split"``,
            ``"one circuit (NumPy)"``, ``"rows (numba)"``, ``"state (numba)"`` (states only,
            :meth:`Simulator.state_route`) or ``"matrix-product state"``.
        diff: ``"none"`` (no gradient asked), ``"backprop"``, ``"adjoint"`` or ``"parameter-shift"``.
        width: Qubits of the largest state simulated.
        batch: Rows simulated.
        states: States of ``width`` qubits held at once (the memory guard's count).
        memory_estimate: Bytes those states take.
        reason: Why this route, in words.
        guard: The label of the memory check.
        collapse: The gates after the last input-reading gate act as one shared matrix.

    Example:
        >>> Route("statevector", "full state", "none", 2, 1, 4, 256, "one forward pass").measure
        'full state'
    """

    method: str
    measure: str
    diff: str
    width: int
    batch: int
    states: int
    memory_estimate: int
    reason: str
    guard: str = "forward"
    collapse: bool = False
