"""Real and complex dtypes that belong together: one place for the precision pairs.

The simulator works in ``complex64`` or ``complex128``; angles, probabilities and energies
live in the matching real dtype (``float32`` or ``float64``). Every module maps between the
two with these functions.

Example:
    >>> import torch
    >>> real_dtype(torch.complex64), complex_dtype(torch.float64)
    (torch.float32, torch.complex128)
"""

from __future__ import annotations

import torch

from qml.errors import ConfigTypeError

_REAL = {
    torch.complex64: torch.float32,
    torch.float32: torch.float32,
    torch.complex128: torch.float64,
    torch.float64: torch.float64,
}
_COMPLEX = {
    torch.float32: torch.complex64,
    torch.complex64: torch.complex64,
    torch.float64: torch.complex128,
    torch.complex128: torch.complex128,
}


def _check(dtype: torch.dtype) -> None:
    if dtype not in _REAL:
        raise ConfigTypeError(
            f"expected single (float32/complex64) or double (float64/complex128) precision, got {dtype}; "
            "call .float() or .double() on the tensor or module"
        )


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    """The real dtype of a precision: ``complex64``/``float32`` -> ``float32``, else ``float64``.

    Raises:
        ConfigTypeError: For a dtype of another precision (half, integer).

    Example:
        >>> import torch
        >>> real_dtype(torch.complex128), real_dtype(torch.float32)
        (torch.float64, torch.float32)
    """
    _check(dtype)
    return _REAL[dtype]


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """The simulator dtype of a precision: ``float32``/``complex64`` -> ``complex64``, else ``complex128``.

    Raises:
        ConfigTypeError: For a dtype of another precision (half, integer).

    Example:
        >>> import torch
        >>> complex_dtype(torch.float32)
        torch.complex64
    """
    _check(dtype)
    return _COMPLEX[dtype]


__all__ = ["complex_dtype", "real_dtype"]
