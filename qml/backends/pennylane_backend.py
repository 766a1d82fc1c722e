"""PennyLane devices as a backend: the IR through ``qp.qnode`` with the torch interface.

Any installed PennyLane device works (``default.qubit``, ``lightning.qubit``, ...). The
gradient method is the device's best one unless you choose: ``backprop`` on
``default.qubit``, ``adjoint`` on ``lightning.*``, and ``parameter-shift`` whenever
``shots`` are set (neither backprop nor adjoint apply to samples). Batches use
PennyLane's parameter broadcasting (one QNode call for all rows).

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> b = PennyLaneBackend("default.qubit")
    >>> b.diff_method_for(None), PennyLaneBackend("lightning.qubit").diff_method_for(None)
    ('backprop', 'adjoint')
    >>> w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    >>> e = b.expval(Circuit(1).add("RX", 0, W(0)), "Z0", w)
    >>> round(float(e), 6)
    0.921061
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from qml.backends.base import BaseBackend, Capabilities, Execution, ObservableLike, Prepared, slot_circuit
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum

Tensor = torch.Tensor
log = logging.getLogger(__name__)

__all__ = ["PennyLaneBackend", "installed_devices", "to_pennylane_observable"]

_DIFF_METHODS = ("auto", "best", "backprop", "adjoint", "parameter-shift", "finite-diff")


def installed_devices() -> list[str]:
    """Names of the PennyLane devices installed here.

    Example:
        >>> "default.qubit" in installed_devices()
        True
    """
    import pennylane as qp

    return sorted(qp.plugin_devices)


def to_pennylane_observable(obs: PauliSum) -> Any:
    """A :class:`PauliSum` as a PennyLane operator (a linear combination of Pauli words).

    Example:
        >>> from qml.paulis import pauli
        >>> print(to_pennylane_observable(pauli("0.5*Z0 Z1 + X1")))
        X(1) + 0.5 * (Z(0) @ Z(1))
    """
    import pennylane as qp

    letters = {"X": qp.PauliX, "Y": qp.PauliY, "Z": qp.PauliZ}
    coeffs: list[float] = []
    ops: list[Any] = []
    for c, s in obs.terms:
        if s.is_identity:
            ops.append(qp.Identity(0))
        else:
            factors = [letters[ltr](w) for w, ltr in s.ops]
            ops.append(factors[0] if len(factors) == 1 else qp.prod(*factors))
        coeffs.append(float(c))
    if not ops:
        return qp.dot([0.0], [qp.Identity(0)])
    return qp.dot(coeffs, ops)


class PennyLaneBackend(BaseBackend):
    """Run circuits on a PennyLane device.

    Args:
        device: PennyLane device name (see :func:`installed_devices`).
        diff_method: ``"auto"`` (the device's best: backprop for ``default.qubit``,
            adjoint for ``lightning.*``, parameter-shift with shots), or any PennyLane
            ``diff_method`` among ``"best"``, ``"backprop"``, ``"adjoint"``,
            ``"parameter-shift"``, ``"finite-diff"``.
        **device_kwargs: Extra keyword arguments for ``qp.device`` (``c_dtype``, ...).

    Raises:
        ValueError: For a device that is not installed (the error lists installed ones)
            or an unknown ``diff_method``.

    Example:
        >>> PennyLaneBackend("lightning.qubit").name
        'pennylane:lightning.qubit'
    """

    capabilities = Capabilities(differentiable=True, supports_shots=True, supports_exact=True, batched=True)

    def __init__(
        self, device: str = "default.qubit", diff_method: str = "auto", **device_kwargs: Any
    ) -> None:
        devices = installed_devices()
        if device not in devices:
            raise ConfigError(f"PennyLane device {device!r} is not installed; installed devices: {devices}")
        if diff_method not in _DIFF_METHODS:
            raise ConfigError(f"diff_method must be one of {_DIFF_METHODS}, got {diff_method!r}")
        self.device = device
        self.diff_method = diff_method
        self.device_kwargs = dict(device_kwargs)
        self.name = f"pennylane:{device}"
        self._qnodes: OrderedDict[tuple, Callable[..., Any]] = OrderedDict()

    def diff_method_for(self, shots: int | None) -> str:
        """The gradient method used for a call with ``shots``."""
        if self.diff_method != "auto":
            return self.diff_method
        if shots is not None:
            return "parameter-shift"
        if self.device == "default.qubit":
            return "backprop"
        if self.device.startswith("lightning."):
            return "adjoint"
        return "best"

    def _qnode(
        self,
        circuit: Circuit,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        interface: str,
    ) -> Callable[..., Any]:
        key = (circuit, observables, shots, seed, interface)
        if key in self._qnodes:
            self._qnodes.move_to_end(key)
            return self._qnodes[key]
        import pennylane as qp

        from qml.interop.pennylane import to_pennylane

        kwargs = dict(self.device_kwargs)
        if seed is not None:
            kwargs["seed"] = int(seed)
        try:
            dev = qp.device(self.device, wires=circuit.n_wires, **kwargs)
        except TypeError as err:
            raise ConfigError(
                f"cannot create PennyLane device {self.device!r} with {sorted(kwargs)}: {err}"
            ) from None
        qfunc = to_pennylane(circuit)
        pl_obs = [to_pennylane_observable(o) for o in observables]

        def f(angles: Any = None) -> Any:
            qfunc(angles, None)
            return tuple(qp.expval(o) for o in pl_obs)

        diff = self.diff_method_for(shots) if interface == "torch" else None
        node = qp.QNode(f, dev, interface=interface, diff_method=diff, shots=shots)
        if seed is not None:
            return node  # a seeded device's generator advances: a fresh one per call repeats samples
        self._qnodes[key] = node
        if len(self._qnodes) > 32:
            self._qnodes.popitem(last=False)
        return node

    def _call(
        self,
        circuit: Circuit,
        observables: tuple[PauliSum, ...],
        angles: Tensor,
        shots: int | None,
        seed: int | None,
    ) -> Tensor:
        """``(B, n_obs)`` float64 values of the slot circuit ``circuit`` at ``angles`` ``(B, K)``."""
        batch = angles.shape[0]
        a = angles[0] if batch == 1 else angles
        if torch.is_grad_enabled() and angles.requires_grad:
            out = self._qnode(circuit, observables, shots, seed, "torch")(a if circuit.n_weights else None)
            cols = [torch.broadcast_to(v.to(torch.float64).reshape(-1), (batch,)) for v in out]
            return torch.stack(cols, dim=-1)
        # Without gradients use the NumPy interface: PennyLane's torch interface returns
        # float32 (torch's default dtype) when no parameter is trainable.
        node = self._qnode(circuit, observables, shots, seed, "numpy")
        out = node(a.detach().cpu().numpy() if circuit.n_weights else None)
        columns = [np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (batch,)) for v in out]
        return torch.as_tensor(np.stack(columns, axis=-1))

    def execute(
        self,
        circuit: Circuit,
        angles: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        purpose: str = "forward",
    ) -> Execution:
        """Run the slot circuit for all rows of ``angles`` in one broadcast QNode call."""
        sc = slot_circuit(circuit)
        a = torch.as_tensor(np.asarray(angles, dtype=np.float64).reshape(len(angles), sc.n_weights))
        with torch.no_grad():
            vals = self._call(sc, observables, a, shots, seed)
        return Execution(vals.cpu().numpy(), metadata={"device": self.device, "shots": shots})

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """Expectation values, differentiable through PennyLane's torch interface.

        Example:
            >>> from qml.ir import Circuit
            >>> float(PennyLaneBackend().expval(Circuit(1).add("X", 0), "Z0"))
            -1.0
        """
        prep: Prepared = self._prepare(circuit, observables, weights, inputs, shots)
        # The QNode sees one tensor of gate angles (the slot circuit); autograd chains the
        # angle map to weights and inputs. This also keeps constant angles of partly
        # trainable gates (U3(w, 0.4, x)) in the same array type as the others.
        vals = self._call(slot_circuit(circuit), prep.observables, prep.angles(), shots, seed)
        return prep.shape(vals)
