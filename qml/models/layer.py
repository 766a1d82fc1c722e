"""A quantum circuit as a ``torch.nn.Module``: :class:`QuantumLayer`.

The layer owns the circuit's trainable weights as one ``nn.Parameter`` and maps a batch of
input features ``(B, n_inputs)`` to expectation values ``(B, n_obs)`` in ONE batched
simulator call (never a Python loop over samples).

Precision follows the parameter, like any torch module: a ``float32`` parameter runs the
simulator in ``complex64``, a ``float64`` parameter in ``complex128``. So ``layer.double()``
switches to complex128, ``layer.float()`` (or ``layer.to(torch.float32)``) to complex64, and
``layer.to("cuda")`` moves the simulation to the GPU. Inputs are cast to the parameter's
dtype and device; outputs have the parameter's dtype.

Backend hook: ``backend=`` takes any callable with the signature of
:meth:`qml.sim.Simulator.expval` restricted to
``backend(circuit, observables, weights, inputs) -> Tensor (B, n_obs)``, so a future Aer or
hardware backend plugs in without changing model code (the callable is responsible for
gradients, e.g. parameter shift packed into one job).

Example:
    >>> import torch
    >>> from qml.templates import angle_encoding, basic_entangler
    >>> circuit = angle_encoding(2, "Y").then(basic_entangler(2, 1, "Y"))
    >>> layer = QuantumLayer(circuit, ["Z0", "Z1"], seed=0).double()
    >>> layer(torch.zeros(5, 2)).shape
    torch.Size([5, 2])
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from qml.dtypes import complex_dtype
from qml.errors import ConfigError, ConfigTypeError
from qml.ir import Circuit
from qml.paulis import ObservableLike, PauliSum, as_observables
from qml.sim.simulator import Simulator

log = logging.getLogger(__name__)

Tensor = torch.Tensor
#: ``backend(circuit, observables, weights, inputs) -> (B, n_obs)``, the signature of ``Simulator.expval``.
Backend = Callable[[Circuit, list[PauliSum], Tensor, Tensor | None], Tensor]


def _as_circuit(circuit: Any) -> Circuit:
    if not isinstance(circuit, Circuit):
        raise ConfigTypeError(
            f"circuit must be a qml.ir.Circuit (e.g. from qml.templates), got {type(circuit).__name__}"
        )
    return circuit


def _as_observables(observables: ObservableLike | Sequence[ObservableLike], n_wires: int) -> list[PauliSum]:
    return list(as_observables(observables, n_wires)[0])


class QuantumLayer(nn.Module):
    """A parametrised circuit as a torch module: inputs ``(B, n_inputs)`` -> expectations ``(B, n_obs)``.

    Args:
        circuit: The circuit; ``X(j)`` references read input feature ``j``, ``W(i)`` are the
            trainable weights.
        observables: One observable or a list (Pauli text such as ``"Z0 Z1"``, a
            :class:`~qml.paulis.PauliString` or a :class:`~qml.paulis.PauliSum`).
        simulator: Simulator settings (``diff``, fusion...); its ``dtype`` and ``device``
            are overridden by the parameter's at every call. Default: ``Simulator()``.
        weight_init: A strategy of :func:`qml.templates.init_weights` (``"uniform"``,
            ``"small"``, ``"normal"``, ``"zeros"``) or explicit initial weights ``(n_weights,)``.
        init_scale: Scale of the strategy (its default when ``None``).
        seed: Seed of the initial weights.
        dtype: Parameter dtype (default ``torch.get_default_dtype()``, as for ``nn.Linear``).
        backend: Optional callable ``backend(circuit, observables, weights, inputs)``
            replacing the simulator (see the module docstring).

    Attributes:
        weights: The trainable ``nn.Parameter`` of shape ``(n_weights,)``.

    Example:
        >>> import torch
        >>> from qml.ir import Circuit, W, X
        >>> c = Circuit(1).add("RY", 0, X(0)).add("RY", 0, W(0))
        >>> layer = QuantumLayer(c, "Z0", weight_init="zeros", dtype=torch.float64)
        >>> layer(torch.tensor([[0.0], [3.14159265]])).squeeze(-1).round(decimals=6).tolist()
        [1.0, -1.0]
    """

    def __init__(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        simulator: Simulator | None = None,
        weight_init: str | Sequence[float] | Tensor = "uniform",
        init_scale: float | None = None,
        seed: int = 0,
        dtype: torch.dtype | None = None,
        backend: Backend | None = None,
    ) -> None:
        super().__init__()
        self.circuit = _as_circuit(circuit)
        self.observables = _as_observables(observables, self.circuit.n_wires)
        if simulator is not None and not isinstance(simulator, Simulator):
            raise ConfigTypeError(
                f"simulator must be a qml.sim.Simulator or None, got {type(simulator).__name__}"
            )
        if backend is not None and not callable(backend):
            raise ConfigTypeError("backend must be a callable backend(circuit, observables, weights, inputs)")
        self.simulator = simulator if simulator is not None else Simulator()
        self.backend = backend
        self.seed = int(seed)
        dt = torch.get_default_dtype() if dtype is None else dtype
        complex_dtype(dt)  # validates
        self.weights = nn.Parameter(self._initial(weight_init, init_scale, seed, dt))

    def _initial(self, init: Any, scale: float | None, seed: int, dtype: torch.dtype) -> Tensor:
        from qml.templates import init_weights

        n = self.circuit.n_weights
        if isinstance(init, str):
            return init_weights(self.circuit, init, seed=seed, scale=scale, dtype=dtype)
        t = init.detach().clone() if isinstance(init, Tensor) else torch.as_tensor(init, dtype=torch.float64)
        t = t.to(dtype).reshape(-1)
        if t.numel() != n:
            raise ConfigError(
                f"weight_init has {t.numel()} values but the circuit has {n} weights; pass a vector of "
                f"length {n} or a strategy name such as 'uniform'"
            )
        return t

    # -- properties -------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Number of input features the circuit reads.

        Example:
            >>> from qml.templates import angle_encoding
            >>> QuantumLayer(angle_encoding(3), "Z0").n_inputs
            3
        """
        return self.circuit.n_inputs

    @property
    def n_outputs(self) -> int:
        """Number of observables (the output width).

        Example:
            >>> from qml.templates import angle_encoding
            >>> QuantumLayer(angle_encoding(2), ["Z0", "Z1", "Z0 Z1"]).n_outputs
            3
        """
        return len(self.observables)

    def current_simulator(self) -> Simulator:
        """The simulator used now: the configured one with the parameter's dtype and device.

        Example:
            >>> from qml.ir import Circuit, W
            >>> layer = QuantumLayer(Circuit(1).add("RX", 0, W(0)), "Z0", dtype=torch.float32)
            >>> layer.current_simulator().dtype
            torch.complex64
        """
        p = self.weights
        return dataclasses.replace(self.simulator, dtype=complex_dtype(p.dtype), device=p.device)

    # -- forward ------------------------------------------------------------------------
    def _inputs(self, inputs: Tensor | None) -> tuple[Tensor | None, bool]:
        n = self.n_inputs
        if inputs is None:
            if n:
                raise ConfigError(
                    f"this layer's circuit reads {n} input features: call it with a tensor of shape "
                    f"(batch, {n}) or ({n},)"
                )
            return None, False
        if not isinstance(inputs, Tensor):
            inputs = torch.as_tensor(inputs)
        if inputs.is_complex():
            raise ConfigTypeError("inputs must be real features, got a complex tensor")
        if inputs.dim() not in (1, 2) or inputs.shape[-1] != n:
            raise ConfigError(
                f"inputs must have shape (batch, {n}) or ({n},) for this layer (the circuit reads {n} "
                f"features), got {tuple(inputs.shape)}; reshape with x.reshape(-1, {n})"
                + (" or add a classical nn.Linear in front to map your features" if inputs.dim() == 2 else "")
            )
        return inputs.to(dtype=self.weights.dtype, device=self.weights.device), inputs.dim() == 2

    def forward(self, inputs: Tensor | None = None) -> Tensor:
        """Expectation values for a batch of inputs, in one batched simulation.

        Args:
            inputs: ``(B, n_inputs)`` or ``(n_inputs,)``; ``None`` for a circuit without inputs.

        Returns:
            ``(B, n_obs)`` for batched inputs, ``(n_obs,)`` otherwise.

        Raises:
            ValueError: For inputs of the wrong shape.

        Example:
            >>> from qml.templates import angle_encoding
            >>> layer = QuantumLayer(angle_encoding(2, "Y"), ["Z0", "Z1"], dtype=torch.float64)
            >>> layer(torch.tensor([[0.0, 3.141592653589793]])).round(decimals=6).tolist()
            [[1.0, -1.0]]
        """
        x, batched = self._inputs(inputs)
        if self.backend is not None:
            out = self.backend(self.circuit, self.observables, self.weights, x)
        else:
            out = self.current_simulator().expval(self.circuit, list(self.observables), self.weights, x)
        if batched and out.dim() == 1:  # a backend that dropped the batch axis of B = 1
            out = out.reshape(x.shape[0] if x is not None else 1, -1)
        return out.to(self.weights.dtype)

    def state(self, inputs: Tensor | None = None) -> Tensor:
        """The statevector(s) ``(B, 2**n)`` or ``(2**n,)`` for the current weights (simulator only).

        Example:
            >>> from qml.ir import Circuit, W
            >>> layer = QuantumLayer(Circuit(1).add("RX", 0, W(0)), "Z0", weight_init="zeros")
            >>> layer.state().abs().tolist()
            [1.0, 0.0]
        """
        x, _ = self._inputs(inputs)
        return self.current_simulator().state(self.circuit, self.weights, x)

    # -- state_dict extras: refuse to load weights of another circuit ---------------------
    def get_extra_state(self) -> dict[str, Any]:
        """The circuit and observables, stored in ``state_dict`` to check loads against.

        Example:
            >>> from qml.ir import Circuit, W
            >>> sorted(QuantumLayer(Circuit(1).add("RX", 0, W(0)), "Z0").get_extra_state())
            ['circuit', 'observables']
        """
        return {"circuit": self.circuit.to_json(), "observables": [o.to_json() for o in self.observables]}

    def set_extra_state(self, state: Any) -> None:
        """Check that a loaded ``state_dict`` was saved from the same circuit and observables.

        Raises:
            ValueError: If the saved circuit or observables differ from this layer's.

        Example:
            >>> from qml.ir import Circuit, W
            >>> layer = QuantumLayer(Circuit(1).add("RX", 0, W(0)), "Z0")
            >>> layer.set_extra_state(layer.get_extra_state())  # same circuit: accepted
        """
        if not isinstance(state, dict) or "circuit" not in state:
            return
        if Circuit.from_json(state["circuit"]) != self.circuit:
            raise ConfigError(
                "the state_dict was saved from a different circuit than this QuantumLayer's; build the "
                "layer with the same circuit (same template, wires and layers) before load_state_dict"
            )
        saved = [PauliSum.from_json(o) for o in state.get("observables", [])]
        if saved and saved != list(self.observables):
            raise ConfigError(
                "the state_dict was saved with different observables; build the layer with the same "
                "observables"
            )

    def extra_repr(self) -> str:
        c = self.circuit
        return (
            f"n_wires={c.n_wires}, n_weights={c.n_weights}, n_inputs={c.n_inputs}, "
            f"n_obs={self.n_outputs}, backend={'custom' if self.backend else 'simulator'}"
        )


__all__ = ["Backend", "QuantumLayer", "complex_dtype"]
