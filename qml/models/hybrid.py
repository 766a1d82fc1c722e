"""Hybrid classical-quantum regressors and classifiers built from :class:`~qml.models.layer.QuantumLayer`.

The builders return a plain ``nn.Sequential``::

    [nn.Linear(n_features, n_qubits), AngleScaling(pi)]   classical pre-processing to angles
    QuantumLayer(data re-uploading circuit, <Z_0>, ..., <Z_{q-1}>)
    [nn.Linear(n_qubits, n_outputs)]                       classical read-out

so any torch training loop (or :func:`qml.models.training.fit`) trains them. All classical
weights are drawn from a private seeded generator (the global RNG is untouched) and the
whole model is cast to ``dtype`` (float64 -> complex128 simulation by default).

Example:
    >>> import torch
    >>> model = hybrid_classifier(n_features=3, n_classes=2, n_qubits=2, layers=1, seed=0)
    >>> model(torch.zeros(4, 3, dtype=torch.float64)).shape
    torch.Size([4, 2])
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.models.layer import QuantumLayer
from qml.sim.simulator import Simulator

#: Encodings of :func:`hybrid_circuit`.
ENCODINGS: tuple[str, ...] = ("reuploading", "angle")


class AngleScaling(nn.Module):
    """``scale * tanh(x)``: maps real features to rotation angles in ``(-scale, scale)``.

    Example:
        >>> AngleScaling(2.0)(torch.tensor([0.0, 100.0])).tolist()
        [0.0, 2.0]
    """

    def __init__(self, scale: float = math.pi) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scaled tanh of ``x``.

        Example:
            >>> AngleScaling(1.0)(torch.zeros(2)).tolist()
            [0.0, 0.0]
        """
        return self.scale * torch.tanh(x)

    def extra_repr(self) -> str:
        return f"scale={self.scale:.4g}"


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def hybrid_circuit(n_qubits: int, layers: int, encoding: str = "reuploading") -> Circuit:
    """The quantum part of the hybrid models: ``n_qubits`` inputs, RY encoding, trainable layers.

    * ``"reuploading"``: :func:`qml.templates.data_reuploading` with RY encodings and
      strongly entangling trainable blocks (the inputs are re-read in every layer);
    * ``"angle"``: one RY angle encoding followed by ``layers`` strongly entangling layers.

    Args:
        n_qubits: Number of qubits (= number of circuit inputs).
        layers: Number of trainable layers.
        encoding: ``"reuploading"`` (default) or ``"angle"``.

    Raises:
        ValueError: For an unknown encoding or bad sizes.

    Example:
        >>> c = hybrid_circuit(2, 2)
        >>> c.n_inputs, c.n_weights
        (2, 12)
    """
    from qml.templates import angle_encoding, data_reuploading, strongly_entangling

    n = _positive_int("n_qubits", n_qubits)
    L = _positive_int("layers", layers)
    if encoding == "reuploading":
        return data_reuploading(n, L, encoding="Y", trainable="strongly_entangling")
    if encoding == "angle":
        return angle_encoding(n, "Y").then(strongly_entangling(n, L))
    raise ConfigError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")


def _build(
    n_features: int,
    n_outputs: int,
    n_qubits: int,
    layers: int,
    encoding: str,
    hidden: tuple[int, ...],
    simulator: Simulator | None,
    seed: int,
    dtype: torch.dtype,
) -> nn.Sequential:
    nf = _positive_int("n_features", n_features)
    no = _positive_int("n_outputs", n_outputs)
    nq = _positive_int("n_qubits", n_qubits)
    circuit = hybrid_circuit(nq, layers, encoding)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        pre: list[nn.Module] = []
        width = nf
        for h in hidden:
            pre += [nn.Linear(width, _positive_int("hidden width", h)), nn.Tanh()]
            width = int(h)
        pre += [nn.Linear(width, nq), AngleScaling(math.pi)]
        qlayer = QuantumLayer(circuit, [f"Z{w}" for w in range(nq)], simulator, "normal", 0.1, seed, dtype)
        post = nn.Linear(nq, no)
    return nn.Sequential(*pre, qlayer, post).to(dtype)


def hybrid_regressor(
    n_features: int,
    n_outputs: int = 1,
    n_qubits: int = 4,
    layers: int = 2,
    encoding: str = "reuploading",
    hidden: tuple[int, ...] = (),
    simulator: Simulator | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> nn.Sequential:
    """A hybrid regressor: linear pre-processing to angles, a quantum layer, a linear read-out.

    Args:
        n_features: Number of input features.
        n_outputs: Number of regression targets.
        n_qubits: Qubits of the quantum layer.
        layers: Trainable layers of the circuit (see :func:`hybrid_circuit`).
        encoding: ``"reuploading"`` or ``"angle"``.
        hidden: Widths of optional classical ``Linear + Tanh`` layers before the encoding.
        simulator: Simulator settings for the quantum layer.
        seed: Seed of all initial weights.
        dtype: ``torch.float64`` (complex128 simulation, default) or ``torch.float32``.

    Returns:
        An ``nn.Sequential`` mapping ``(B, n_features)`` to ``(B, n_outputs)``.

    Example:
        >>> model = hybrid_regressor(2, n_qubits=2, layers=1)
        >>> model(torch.zeros(3, 2, dtype=torch.float64)).shape
        torch.Size([3, 1])
    """
    return _build(n_features, n_outputs, n_qubits, layers, encoding, tuple(hidden), simulator, seed, dtype)


def hybrid_classifier(
    n_features: int,
    n_classes: int = 2,
    n_qubits: int = 4,
    layers: int = 2,
    encoding: str = "reuploading",
    hidden: tuple[int, ...] = (),
    simulator: Simulator | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> nn.Sequential:
    """A hybrid classifier returning logits ``(B, n_classes)`` (train with ``nn.CrossEntropyLoss``).

    Args:
        n_features: Number of input features.
        n_classes: Number of classes (at least 2).
        n_qubits: Qubits of the quantum layer.
        layers: Trainable layers of the circuit.
        encoding: ``"reuploading"`` or ``"angle"``.
        hidden: Widths of optional classical layers before the encoding.
        simulator: Simulator settings for the quantum layer.
        seed: Seed of all initial weights.
        dtype: ``torch.float64`` (default) or ``torch.float32``.

    Raises:
        ValueError: For fewer than 2 classes or bad sizes.

    Example:
        >>> model = hybrid_classifier(4, n_classes=3, n_qubits=2, layers=1)
        >>> model(torch.zeros(2, 4, dtype=torch.float64)).shape
        torch.Size([2, 3])
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or n_classes < 2:
        raise ConfigError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    return _build(n_features, n_classes, n_qubits, layers, encoding, tuple(hidden), simulator, seed, dtype)


__all__ = ["ENCODINGS", "AngleScaling", "hybrid_circuit", "hybrid_classifier", "hybrid_regressor"]
