"""Backends: one protocol over the native simulator, PennyLane, Qiskit Aer and IBM hardware.

:func:`get_backend` builds a backend from a name:

==============================  ==============================================================
``"torch"``                     the native differentiable simulator (:mod:`.torch_backend`)
``"pennylane"``                 PennyLane ``default.qubit`` (backprop)
``"pennylane:<device>"``        any installed PennyLane device, e.g. ``lightning.qubit`` (adjoint)
``"aer"``                       Qiskit Aer, ideal (:mod:`.aer_backend`)
``"aer:noisy:<fake backend>"``  Aer with a fake IBM device's noise model, e.g. ``fake_manila``
``"ibm:<backend>"``             IBM Quantum via qiskit-ibm-runtime (:mod:`.ibm`); a fake name
                                (``ibm:fake_manila``) runs in local testing mode on Aer
``"mps"``                       the matrix-product-state simulator (:mod:`.mps_backend`), for wide
                                circuits; options ``bond_dim``, ``cutoff``
==============================  ==============================================================

Every backend has ``run(...) -> BackendResult`` and a differentiable ``expval(...)``
(the same call as :meth:`qml.Simulator.expval`), and ``capabilities``. Importing this
package imports neither PennyLane nor Qiskit: adapters load them when built.

Example:
    >>> from qml.backends import get_backend
    >>> b = get_backend("torch")
    >>> b.capabilities.differentiable
    True
    >>> get_backend("cirq")
    Traceback (most recent call last):
    ...
    qml.errors.ConfigError: unknown backend 'cirq'; valid names: torch, pennylane, pennylane:<device>, aer, \
aer:noisy:<fake backend>, ibm:<backend name>, mps
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qml.backends.base import (
    Backend,
    BackendResult,
    BaseBackend,
    Capabilities,
    Execution,
    as_observables,
    prepare,
    slot_circuit,
)
from qml.errors import ConfigError

__all__ = [
    "Backend",
    "BackendResult",
    "BaseBackend",
    "Capabilities",
    "Execution",
    "as_observables",
    "available_backends",
    "get_backend",
    "prepare",
    "register_backend",
    "slot_circuit",
]

Factory = Callable[[str, dict[str, Any]], Backend]


def _torch(rest: str, options: dict[str, Any]) -> Backend:
    if rest:
        raise ConfigError(f"'torch' takes no suffix, got 'torch:{rest}'; pass simulator settings as keywords")
    from qml.backends.torch_backend import TorchBackend

    return TorchBackend(**options)


def _pennylane(rest: str, options: dict[str, Any]) -> Backend:
    from qml.backends.pennylane_backend import PennyLaneBackend

    return PennyLaneBackend(rest or "default.qubit", **options)


def _aer(rest: str, options: dict[str, Any]) -> Backend:
    from qml.backends.aer_backend import AerBackend

    if not rest:
        return AerBackend(**options)
    kind, _, device = rest.partition(":")
    if kind != "noisy" or not device:
        raise ConfigError(
            f"unknown Aer backend 'aer:{rest}'; use 'aer' (ideal) or 'aer:noisy:<fake backend>', "
            "e.g. 'aer:noisy:fake_manila'"
        )
    return AerBackend(noise=device, **options)


def _ibm(rest: str, options: dict[str, Any]) -> Backend:
    if not rest:
        raise ConfigError(
            "name the IBM backend: 'ibm:<backend name>', e.g. 'ibm:ibm_brisbane' or 'ibm:fake_manila'"
        )
    from qml.backends.ibm import IBMBackend

    return IBMBackend(rest, **options)


def _mps(rest: str, options: dict[str, Any]) -> Backend:
    if rest:
        raise ConfigError(
            f"'mps' takes no suffix, got 'mps:{rest}'; pass bond_dim=..., cutoff=... as keywords"
        )
    from qml.backends.mps_backend import MPSBackend

    return MPSBackend(**options)


_REGISTRY: dict[str, tuple[Factory, str]] = {
    "torch": (_torch, "torch"),
    "pennylane": (_pennylane, "pennylane, pennylane:<device>"),
    "aer": (_aer, "aer, aer:noisy:<fake backend>"),
    "ibm": (_ibm, "ibm:<backend name>"),
    "mps": (_mps, "mps"),
}


def available_backends() -> list[str]:
    """The name patterns :func:`get_backend` accepts.

    Example:
        >>> available_backends()[:2]
        ['torch', 'pennylane']
    """
    return [p.strip() for _, patterns in _REGISTRY.values() for p in patterns.split(",")]


def register_backend(prefix: str, factory: Factory, patterns: str | None = None) -> None:
    """Add a backend family: ``factory(rest_of_name, options) -> Backend`` for ``"<prefix>[:rest]"``.

    Example:
        >>> from qml.backends.torch_backend import TorchBackend
        >>> register_backend("mytorch", lambda rest, opts: TorchBackend(**opts))
        >>> get_backend("mytorch").name
        'torch'
    """
    if not prefix or ":" in prefix:
        raise ConfigError(f"a backend prefix must be a non-empty name without ':', got {prefix!r}")
    _REGISTRY[prefix] = (factory, patterns or prefix)


def get_backend(name: str, **options: Any) -> Backend:
    """Build a backend from its name (table in the module docstring).

    Args:
        name: ``"torch"``, ``"pennylane[:<device>]"``, ``"aer"``, ``"aer:noisy:<fake>"``,
            ``"ibm:<backend>"`` or ``"mps"``.
        **options: Keyword arguments of the backend class (e.g. ``diff="adjoint"`` for
            torch, ``diff_method=`` for PennyLane, ``approximation=`` for Aer,
            ``options=``/``ledger=``/``run_id=`` for IBM, ``bond_dim=``/``cutoff=`` for MPS).

    Raises:
        ValueError: For an unknown name; the message lists the valid ones.

    Example:
        >>> get_backend("pennylane:lightning.qubit").name
        'pennylane:lightning.qubit'
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"a backend name must be a non-empty string; valid names: {', '.join(available_backends())}"
        )
    prefix, _, rest = name.strip().partition(":")
    entry = _REGISTRY.get(prefix.lower())
    if entry is None:
        raise ConfigError(f"unknown backend {name!r}; valid names: {', '.join(available_backends())}")
    return entry[0](rest, options)
