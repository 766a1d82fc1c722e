"""The matrix-product state: site tensors ``(chi_l, 2, chi_r)`` plus what truncation cost.

Site ``j`` holds wire ``j`` (wire 0 first, the most significant bit of :mod:`qml.ir`), so
contracting the tensors left to right gives the statevector in the order of
:meth:`qml.Simulator.state`. Tensors are kept in mixed canonical form around
:attr:`MPS.center`: sites left of it are left-isometric, sites right of it right-isometric.
Nothing here relies on that form: norms and observables contract all sites.

Example:
    >>> mps = MPS.product(3)
    >>> mps.bond_dims(), mps.to_dense().real.tolist()
    ([1, 1], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from qml.errors import ConfigError

Tensor = torch.Tensor

#: Widest state :meth:`MPS.to_dense` builds (``2**20`` amplitudes, 16 MiB in complex128).
MAX_DENSE_WIRES = 20


@dataclass
class MPS:
    """A matrix-product state and the record of its truncations.

    Attributes:
        tensors: Site tensors ``(chi_l, 2, chi_r)``, one per wire; the outer bonds have size 1.
        truncation_error: Accumulated discarded weight: the sum over all truncations of the
            squared singular values dropped, divided by the squared norm at that step. 0 for
            an exact simulation; ``1 - fidelity`` is about this value when it is small.
        max_bond: Largest bond dimension reached during the run.
        center: The orthogonality centre (sites left of it are left-isometric, right of it
            right-isometric), or ``None`` when the tensors are not in mixed canonical form
            (a run for gradients only canonicalises where it truncates).
        truncation_angle: Sum over truncations of ``arcsin(sqrt(discarded weight))``: a bound on
            the Fubini-Study angle between this state and the exact one (see :meth:`error_bound`).

    Example:
        >>> mps = MPS.product(2)
        >>> mps.n_wires, mps.truncation_error, mps.max_bond
        (2, 0.0, 1)
    """

    tensors: list[Tensor]
    truncation_error: float = 0.0
    max_bond: int = 1
    center: int | None = 0
    truncation_angle: float = field(default=0.0, repr=False)

    @staticmethod
    def product(
        n_wires: int, dtype: torch.dtype = torch.complex128, device: str | torch.device = "cpu"
    ) -> MPS:
        """The state ``|0...0>`` on ``n_wires`` wires (every bond of dimension 1).

        Example:
            >>> [tuple(t.shape) for t in MPS.product(2).tensors]
            [(1, 2, 1), (1, 2, 1)]
        """
        zero = torch.tensor([1.0, 0.0], dtype=dtype, device=device).reshape(1, 2, 1)
        return MPS([zero.clone() for _ in range(n_wires)])

    @property
    def n_wires(self) -> int:
        """Number of sites (wires)."""
        return len(self.tensors)

    def bond_dims(self) -> list[int]:
        """The ``n - 1`` inner bond dimensions, left to right.

        Example:
            >>> MPS.product(3).bond_dims()
            [1, 1]
        """
        return [int(t.shape[2]) for t in self.tensors[:-1]]

    def norm_squared(self) -> Tensor:
        """``<psi|psi>`` (below 1 after truncations; differentiable): :func:`qml.mps.measure.norm_squared`.

        Example:
            >>> float(MPS.product(4).norm_squared())
            1.0
        """
        from qml.mps.measure import norm_squared  # measure builds on this module

        return norm_squared(self)

    def error_bound(self) -> float:
        """``sin`` of the bound on the angle to the exact state: ``sqrt(1 - |<exact|mps>|^2)`` at most.

        Each truncation rotates the (normalised) state by ``arcsin(sqrt(discarded weight))``
        and the gates preserve angles, so the angles add up (triangle inequality of the
        Fubini-Study metric). An expectation value of ``O`` then differs from the exact one by at
        most ``2 ||O - c|| * error_bound()`` for any constant ``c`` (see
        :meth:`qml.mps.MPSSimulator.expval_with_error`).

        Example:
            >>> MPS.product(2).error_bound()
            0.0
        """
        return math.sin(min(self.truncation_angle, math.pi / 2))

    def to_dense(self, normalize: bool = False) -> Tensor:
        """The statevector ``(2**n,)`` in the wire order of :mod:`qml.ir` (differentiable).

        Args:
            normalize: Divide by the norm (a truncated MPS has norm below 1).

        Raises:
            ValueError: For more than :data:`MAX_DENSE_WIRES` wires.

        Example:
            >>> MPS.product(1).to_dense().tolist()
            [(1+0j), 0j]
        """
        n = self.n_wires
        if n > MAX_DENSE_WIRES:
            raise ConfigError(
                f"a dense state of {n} wires has 2**{n} amplitudes; the limit is {MAX_DENSE_WIRES} wires: "
                "use expectation values, entropies or correlations of the MPS for wide circuits"
            )
        psi = self.tensors[0].reshape(2, -1)
        for a in self.tensors[1:]:
            psi = (psi @ a.reshape(a.shape[0], -1)).reshape(-1, a.shape[2])
        psi = psi.reshape(-1)
        if normalize:
            psi = psi / torch.linalg.vector_norm(psi)
        return psi


__all__ = ["MAX_DENSE_WIRES", "MPS"]
