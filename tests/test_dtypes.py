"""One place for the precision pairs (qml.dtypes)."""

from __future__ import annotations

import pytest
import torch

from qml.dtypes import complex_dtype, real_dtype
from qml.errors import ConfigTypeError


@pytest.mark.parametrize(
    ("dtype", "real", "cplx"),
    [
        (torch.float32, torch.float32, torch.complex64),
        (torch.complex64, torch.float32, torch.complex64),
        (torch.float64, torch.float64, torch.complex128),
        (torch.complex128, torch.float64, torch.complex128),
    ],
)
def test_pairs(dtype, real, cplx):
    assert real_dtype(dtype) == real
    assert complex_dtype(dtype) == cplx


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int64])
def test_other_precisions_are_refused(dtype):
    with pytest.raises(ConfigTypeError, match=r"expected single \(float32/complex64\) or double"):
        real_dtype(dtype)
    with pytest.raises(TypeError, match=r"call .float\(\) or .double\(\)"):
        complex_dtype(dtype)
