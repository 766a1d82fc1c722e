"""Weights and inputs as the simulators and backends take them: one validator for all.

Example:
    >>> rows, batched = parameter_rows([0.1, 0.2], 2, "weights")
    >>> tuple(rows.shape), batched
    ((1, 2), False)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qml.errors import ConfigError, ConfigTypeError

Tensor = torch.Tensor

__all__ = ["parameter_rows"]


def parameter_rows(
    value: Any,
    size: int,
    what: str,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
    check_finite: bool = True,
) -> tuple[Tensor, bool]:
    """``value`` as ``(rows, size)`` real values, and whether it had a batch axis.

    Args:
        value: ``None`` (only when ``size`` is 0), ``(size,)`` or ``(batch, size)``: a tensor
            (kept on the autograd graph), an array or nested lists.
        size: The circuit's ``n_weights`` or ``n_inputs``.
        what: ``"weights"`` or ``"inputs"``, for the messages.
        dtype: The real dtype to return.
        device: Where to put it.
        check_finite: Refuse NaN and infinities (one reduction; the simulators skip it in
            their hot path, the backends, which may spend hardware time, do not).

    Raises:
        ConfigError: A missing value, a wrong shape, an empty batch or a non-finite entry.
        ConfigTypeError: Complex values.

    Example:
        >>> parameter_rows(None, 0, "inputs")[0].shape
        torch.Size([1, 0])
        >>> parameter_rows([[0.1], [0.2]], 1, "inputs")[1]
        True
    """
    dev = torch.device(device)
    if value is None:
        if size:
            raise ConfigError(
                f"this circuit needs {size} {what}: pass {what}= an array or tensor of shape ({size},) "
                f"or (batch, {size})"
            )
        return torch.zeros(1, 0, dtype=dtype, device=dev), False
    if not isinstance(value, Tensor):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufc":
            raise ConfigTypeError(f"{what} must be numbers, got {arr.dtype} values ({type(value).__name__})")
        value = torch.as_tensor(arr)
    t = value
    if t.is_complex():
        raise ConfigTypeError(f"{what} must be real, got complex values")
    t = t.to(device=dev, dtype=dtype)
    if t.dim() == 0 or t.dim() > 2 or t.shape[-1] != size:
        raise ConfigError(
            f"{what} must have shape ({size},) or (batch, {size}) for this circuit, got {tuple(t.shape)}"
            + (" (flatten template weights with .reshape(-1) or .reshape(batch, -1))" if t.dim() > 2 else "")
        )
    if t.dim() == 2 and t.shape[0] == 0:
        raise ConfigError(f"{what} has a batch of 0 rows; give at least one row (shape (batch >= 1, {size}))")
    if check_finite:
        bad = ~torch.isfinite(t.detach())
        if bool(bad.any()):
            where = tuple(int(i) for i in torch.nonzero(bad)[0].tolist())
            raise ConfigError(
                f"{what} must be finite numbers; entry {where if len(where) > 1 else where[0]} is "
                f"{float(t.detach()[where]):g} (a diverged optimiser or a bad file? nothing was run)"
            )
    return (t if t.dim() == 2 else t.unsqueeze(0)), t.dim() == 2
