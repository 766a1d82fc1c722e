"""Data encodings (feature maps): angle, IQP, Qiskit's ZZ map, amplitude, basis and data re-uploading.

Inputs are the circuit's input features ``X(j)``: a circuit built here is run with
``inputs=x`` (shape ``(n_inputs,)`` or ``(B, n_inputs)``). Amplitude encoding needs
classical preprocessing: :func:`amplitude_features` turns raw feature vectors into the
angle inputs of :func:`amplitude_encoding`, differentiably in torch.

Example:
    >>> c = angle_encoding(3, rotation="Y")
    >>> c.n_inputs, c.n_weights
    (3, 0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, cast

import torch

from qml.dtypes import complex_dtype, real_dtype
from qml.errors import CircuitError
from qml.ir import Circuit, X
from qml.templates._common import check_int, check_pairs, choices, full_pairs, rotation_gate
from qml.templates.layers import basic_entangler, hardware_efficient, strongly_entangling
from qml.templates.qiskit_like import Entanglement, qiskit_entangler_map

#: Named encodings accepted by :func:`data_reuploading`.
REUPLOAD_ENCODINGS: tuple[str, ...] = ("X", "Y", "Z", "iqp", "zz")
#: Named trainable blocks accepted by :func:`data_reuploading`.
REUPLOAD_TRAINABLES: tuple[str, ...] = ("strongly_entangling", "hardware_efficient", "basic_entangler")


def angle_encoding(n_wires: int, rotation: str = "X", n_features: int | None = None) -> Circuit:
    """Angle encoding, the same circuit as PennyLane's ``qp.AngleEmbedding``.

    Feature ``j`` is the angle of a rotation on wire ``j``: ``R(x_j)`` for ``j < n_features``.

    ``n_wires=3``::

        0: ─RX─
        1: ─RX─
        2: ─RX─

    Args:
        n_wires: Number of qubits (at least 1).
        rotation: ``"X"``, ``"Y"`` or ``"Z"`` (also ``"RX"``...).
        n_features: Number of features (default ``n_wires``; at most ``n_wires``).

    Returns:
        The circuit (``n_inputs = n_features``), named ``"angle_encoding"``.

    Raises:
        ValueError: For bad sizes, more features than wires or an unknown rotation.

    Example:
        >>> angle_encoding(4, "Z", n_features=2).count()
        {'RZ': 2}
    """
    n = check_int("n_wires", n_wires, 1)
    if not isinstance(rotation, str) or rotation.upper() not in ("X", "Y", "Z", "RX", "RY", "RZ"):
        raise CircuitError(f"unknown rotation {rotation!r}; expected one of 'X', 'Y', 'Z'")
    gate = rotation_gate(rotation)
    k = n if n_features is None else check_int("n_features", n_features, 1)
    if k > n:
        raise CircuitError(f"n_features={k} exceeds n_wires={n}: angle encoding puts one feature per wire")
    c = Circuit(n, name="angle_encoding")
    for j in range(k):
        c = c.add(gate, j, X(j))
    return c


def iqp_encoding(n_wires: int, n_repeats: int = 1, pattern: Sequence[Sequence[int]] | None = None) -> Circuit:
    """IQP encoding, the same circuit as PennyLane's ``qp.IQPEmbedding``.

    Each repetition applies ``H`` and ``RZ(x_j)`` on every wire ``j``, then
    ``RZZ(x_i x_j)`` (PennyLane's ``MultiRZ``) on each pair of ``pattern`` (default: all
    pairs ``i < j``). The products ``x_i x_j`` are :class:`~qml.ir.Param` products.

    ``n_wires=2``::

        0: ─H─RZ─RZZ[0]─
        1: ─H─RZ─RZZ[1]─

    Args:
        n_wires: Number of qubits = number of features (at least 1).
        n_repeats: Number of repetitions (at least 1).
        pattern: Wire pairs for the ``ZZ`` terms (default all pairs).

    Returns:
        The circuit (``n_inputs = n_wires``), named ``"iqp_encoding"``.

    Raises:
        ValueError: For bad sizes or an invalid pattern.

    Example:
        >>> iqp_encoding(3, n_repeats=2).count()
        {'H': 6, 'RZ': 6, 'RZZ': 6}
    """
    n = check_int("n_wires", n_wires, 1)
    reps = check_int("n_repeats", n_repeats, 1)
    pairs = full_pairs(n) if pattern is None else check_pairs("pattern", pattern, n)
    c = Circuit(n, n_inputs=n, name="iqp_encoding")
    for _ in range(reps):
        for j in range(n):
            c = c.add("H", j).add("RZ", j, X(j))
        for i, j in pairs:
            c = c.add("RZZ", (i, j), X(i) * X(j))
    return c


def zz_feature_map(
    n_features: int, reps: int = 2, entanglement: Entanglement = "full", alpha: float = 2.0
) -> Circuit:
    """Qiskit's ``zz_feature_map`` (second-order Pauli-Z evolution, Havlicek et al. 2019).

    Each repetition ``r``: ``H`` on every wire; ``P(alpha x_i)`` on every wire ``i``; then
    for every pair ``(i, j)`` of ``qiskit_entangler_map(n, entanglement, r)``:
    ``CX(i, j) P(alpha (pi - x_i)(pi - x_j)) CX(i, j)`` with the phase on ``j``. The
    angle ``alpha * (pi - x_i) * (pi - x_j)`` is a :class:`~qml.ir.Param` product, and
    ``P`` is ``PhaseShift``, so the state equals Qiskit's exactly (global phase included).

    ``n_features=2, reps=1``::

        0: ─H─PhaseShift─●────────────●─
        1: ─H─PhaseShift─X─PhaseShift─X─

    Args:
        n_features: Number of features = qubits (at least 2, as in Qiskit).
        reps: Number of repetitions (at least 1, Qiskit's default 2).
        entanglement: ``"full"`` (default), ``"linear"``, ``"reverse_linear"``,
            ``"pairwise"``, ``"circular"``, ``"sca"`` or a list of pairs.
        alpha: Rotation scale (Qiskit's default 2.0).

    Returns:
        The circuit (``n_inputs = n_features``), named ``"zz_feature_map"``.

    Raises:
        ValueError: For bad sizes or an unknown entanglement.

    Example:
        >>> zz_feature_map(3, reps=1, entanglement="linear").count()
        {'H': 3, 'PhaseShift': 5, 'CNOT': 4}
    """
    n = check_int("n_features", n_features, 2)
    r = check_int("reps", reps, 1)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha):
        raise CircuitError(f"alpha must be a finite real number, got {alpha!r}")
    qiskit_entangler_map(n, entanglement, 0)
    c = Circuit(n, n_inputs=n, name="zz_feature_map")
    for rep in range(r):
        for i in range(n):
            c = c.add("H", i)
        for i in range(n):
            c = c.add("PhaseShift", i, X(i) * float(alpha))
        for i, j in qiskit_entangler_map(n, entanglement, rep):
            phi = (math.pi - X(i)) * (math.pi - X(j)) * float(alpha)
            c = c.add("CNOT", (i, j)).add("PhaseShift", j, phi).add("CNOT", (i, j))
    return c


# -- amplitude encoding -------------------------------------------------------------------------------
def _gray_controls(k: int) -> list[int]:
    """For a uniformly controlled rotation with ``k`` controls: the control bit after each rotation."""
    out = []
    for i in range(2**k):
        a, b = i ^ (i >> 1), ((i + 1) % 2**k) ^ (((i + 1) % 2**k) >> 1)
        out.append((a ^ b).bit_length() - 1)
    return out


def _uniform_rotation(c: Circuit, gate: str, k: int, first_input: int) -> Circuit:
    """Rotation on wire ``k`` uniformly controlled by wires ``0..k-1`` (Mottonen et al. 2004)."""
    if k == 0:
        return c.add(gate, 0, X(first_input))
    for i, bit in enumerate(_gray_controls(k)):
        c = c.add(gate, k, X(first_input + i))
        c = c.add("CNOT", (k - 1 - bit, k))
    return c


def amplitude_encoding(n_wires: int, complex_amplitudes: bool = False) -> Circuit:
    """Amplitude encoding by Mottonen state preparation; inputs come from :func:`amplitude_features`.

    Prepares ``sum_j a_j |j>`` for a normalised vector ``a`` of length ``2^n`` (wire 0 is
    the most significant bit of ``j``; the same state as PennyLane's
    ``qp.AmplitudeEmbedding``). For each wire ``k`` a rotation uniformly controlled by
    wires ``0..k-1`` (``2^k`` rotations and ``2^k`` CNOTs in Gray-code order) sets the
    amplitudes: ``RY`` for the magnitudes (and, for real vectors, the signs), then for
    ``complex_amplitudes`` ``RZ`` for the phases and a global phase ``P X P X`` on wire 0.

    Input layout (``n_inputs``): the ``RY`` angles of wire ``k`` at ``2^k - 1 .. 2^{k+1} - 2``
    (``2^n - 1`` in all); with ``complex_amplitudes`` the ``RZ`` angles follow in the same
    layout (offset ``2^n - 1``) and the global phase is the last input (``2^{n+1} - 1`` in all).
    These are Gray-code-transformed angles: compute them with :func:`amplitude_features`.

    ``n_wires=2``::

        0: ─RY─●────●─
        1: ─RY─X─RY─X─

    Args:
        n_wires: Number of qubits (at least 1).
        complex_amplitudes: Also encode complex phases.

    Returns:
        The circuit, named ``"amplitude_encoding"``.

    Raises:
        ValueError: For a bad ``n_wires``.

    Example:
        >>> import torch
        >>> from qml.reference import dense_state
        >>> x = torch.tensor([3.0, 0.0, 0.0, -4.0])
        >>> psi = dense_state(amplitude_encoding(2), inputs=amplitude_features(x))
        >>> [round(float(v), 6) + 0.0 for v in psi.real]
        [0.6, 0.0, 0.0, -0.8]
    """
    n = check_int("n_wires", n_wires, 1)
    size = 2**n - 1
    c = Circuit(n, n_inputs=2 * size + 1 if complex_amplitudes else size, name="amplitude_encoding")
    for k in range(n):
        c = _uniform_rotation(c, "RY", k, 2**k - 1)
    if complex_amplitudes:
        for k in range(n):
            c = _uniform_rotation(c, "RZ", k, size + 2**k - 1)
        g = X(2 * size)
        c = c.add("PhaseShift", 0, g).add("X", 0).add("PhaseShift", 0, g).add("X", 0)
    return c


def _gray_matrix(k: int, dtype: torch.dtype) -> torch.Tensor:
    """``M^T / 2^k`` with ``M[j, i] = (-1)^popcount(j & gray(i))``: maps block angles to gate angles."""
    size = 2**k
    m = torch.empty(size, size, dtype=dtype)
    for i in range(size):
        g = i ^ (i >> 1)
        for j in range(size):
            m[i, j] = -1.0 if bin(j & g).count("1") % 2 else 1.0
    return m / size


def _safe_norm(sq: torch.Tensor) -> torch.Tensor:
    """``sqrt(sq)`` with a zero (not NaN) gradient at ``sq = 0``."""
    pos = sq > 0
    return torch.where(pos, torch.sqrt(torch.where(pos, sq, torch.ones_like(sq))), torch.zeros_like(sq))


def _safe_atan2(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``atan2(y, x)`` with value 0 and a zero (not NaN) gradient at ``(0, 0)``."""
    zero = (y == 0) & (x == 0)
    return torch.where(zero, torch.zeros_like(y), torch.atan2(y, torch.where(zero, torch.ones_like(x), x)))


def _safe_angle(z: torch.Tensor) -> torch.Tensor:
    return _safe_atan2(z.imag, z.real)


def amplitude_features(
    x: Any,
    n_wires: int | None = None,
    pad_with: float | None = None,
    normalize: bool = True,
    complex_amplitudes: bool | None = None,
    atol: float = 1e-6,
) -> torch.Tensor:
    """Turn raw feature vectors into the inputs of :func:`amplitude_encoding` (differentiable).

    The vector is padded with ``pad_with`` to length ``2^n`` (if shorter), normalised
    (``normalize=True``; padding comes first, as in PennyLane), and converted to the
    Mottonen angles: for each wire ``k`` and prefix ``p`` of wires ``0..k-1``,
    ``alpha = 2 atan2(|block(p, 1)|, |block(p, 0)|)`` (signed amplitudes on the last wire
    for real vectors), followed by the Gray-code transform of each level. Gradients are
    finite even where entries are zero.

    The circuit they feed, ``amplitude_encoding(2)``::

        0: ─RY─●────●─
        1: ─RY─X─RY─X─

    Args:
        x: Features, shape ``(d,)`` or ``(B, d)``: a torch tensor (gradients flow) or array-like.
        n_wires: Circuit width (default ``ceil(log2 d)``, at least 1).
        pad_with: Constant used to pad ``d`` up to ``2^n``; required when ``d < 2^n``.
        normalize: Normalise each vector; if False, vectors must already have norm 1
            (within ``atol``).
        complex_amplitudes: Produce the complex layout (default: True iff ``x`` is complex).
        atol: Tolerance of the norm checks.

    Returns:
        Angles of shape ``(n_inputs,)`` or ``(B, n_inputs)``, real, float64 unless ``x``
        is float32/complex64.

    Raises:
        ValueError: For a bad shape, a vector longer than ``2^n``, missing padding, a zero
            vector, an unnormalised vector with ``normalize=False``, or complex data with
            ``complex_amplitudes=False``.

    Example:
        >>> amplitude_features([1.0, 1.0, 1.0], pad_with=1.0).shape
        torch.Size([3])
    """
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x)
    if not (t.is_floating_point() or t.is_complex()):
        t = t.to(torch.float64)
    if t.ndim not in (1, 2) or t.shape[-1] == 0:
        raise CircuitError(f"x must have shape (d,) or (B, d) with d >= 1, got {tuple(t.shape)}")
    is_cplx = t.is_complex()
    use_cplx = is_cplx if complex_amplitudes is None else bool(complex_amplitudes)
    if is_cplx and not use_cplx:
        raise CircuitError("x is complex but complex_amplitudes=False; use amplitude_encoding(n, True)")
    d = t.shape[-1]
    n = max(1, math.ceil(math.log2(d))) if n_wires is None else check_int("n_wires", n_wires, 1)
    dim = 2**n
    if d > dim:
        raise CircuitError(
            f"x has {d} features but {n} wires hold at most {dim} amplitudes; "
            f"use n_wires >= {math.ceil(math.log2(d))}"
        )
    if d < dim:
        if pad_with is None:
            raise CircuitError(
                f"x has {d} features but {n} wires need {dim} amplitudes; pass pad_with=0.0 "
                "(or another constant) to pad"
            )
        pad = torch.full((*t.shape[:-1], dim - d), pad_with, dtype=t.dtype, device=t.device)
        t = torch.cat([t, pad], dim=-1)
    batched = t.ndim == 2
    a = t if batched else t.unsqueeze(0)
    sq = (a.abs() ** 2 if is_cplx else a**2).sum(-1)
    norms_d = sq.detach().sqrt()
    if bool((norms_d <= 1e-12).any()):
        raise CircuitError(
            "a zero vector cannot be normalised into a quantum state; every x needs a non-zero entry"
        )
    if normalize:
        a = a / torch.sqrt(sq).unsqueeze(-1)
    elif bool(((norms_d - 1.0).abs() > atol).any()):
        raise CircuitError(f"x is not normalised (norms {norms_d.tolist()}); pass normalize=True")
    rdt = real_dtype(a.dtype)
    mag = a.abs() if use_cplx else a.to(rdt)
    B = a.shape[0]
    # Block probabilities per level, from the leaves up: level k has 2^k blocks of size 2^(n-k).
    ry: list[torch.Tensor] = [torch.empty(0)] * n
    level_sq = mag**2
    for k in range(n - 1, -1, -1):
        pairs = level_sq.reshape(B, 2**k, 2)
        if k == n - 1:  # signed for real vectors, magnitudes for complex ones
            leaf = mag.reshape(B, 2**k, 2)
            alpha = 2 * _safe_atan2(leaf[..., 1], leaf[..., 0])
        else:
            alpha = 2 * _safe_atan2(_safe_norm(pairs[..., 1]), _safe_norm(pairs[..., 0]))
        ry[k] = alpha @ _gray_matrix(k, rdt).T
        level_sq = pairs.sum(-1)
    parts = list(ry)
    if use_cplx:
        omega = _safe_angle(a.to(complex_dtype(rdt)))
        rz: list[torch.Tensor] = [torch.empty(0)] * n
        psi = omega
        for k in range(n - 1, -1, -1):
            pairs = psi.reshape(B, 2**k, 2)
            phi = pairs[..., 1] - pairs[..., 0]
            rz[k] = phi @ _gray_matrix(k, rdt).T
            psi = pairs.mean(-1)
        parts += [*rz, psi.reshape(B, 1)]
    out = torch.cat(parts, dim=-1)
    return out if batched else out[0]


# -- basis encoding ----------------------------------------------------------------------------------
def basis_encoding(bits: int | Sequence[int]) -> Circuit:
    """Basis encoding, the same state as PennyLane's ``qp.BasisEmbedding``.

    With a bit sequence (``[1, 0, 1]``): a fixed circuit with ``X`` on every wire whose
    bit is 1 (no inputs). With an integer ``n_wires``: a data circuit whose input ``x_j``
    (0 or 1) sets wire ``j`` via ``U3(pi x_j, 0, pi x_j)``, which is exactly ``X`` for
    ``x_j = 1`` and the identity for ``x_j = 0``.

    ``bits=[1, 0, 1]``::

        0: ─X─
        1: ───
        2: ─X─

    Args:
        bits: The bits (wire 0 first) or the number of wires for an input-driven encoding.

    Returns:
        The circuit, named ``"basis_encoding"``.

    Raises:
        ValueError: For entries other than 0/1, an empty sequence or ``n_wires < 1``.

    Example:
        >>> basis_encoding(3).n_inputs, basis_encoding([1, 1]).count()
        (3, {'X': 2})
    """
    if isinstance(bits, numbers.Integral) and not isinstance(bits, bool):
        n = check_int("n_wires", bits, 1)
        c = Circuit(n, n_inputs=n, name="basis_encoding")
        for j in range(n):
            angle = X(j, math.pi)
            c = c.add("U3", j, angle, 0.0, angle)
        return c
    try:
        # not an integer here (numbers.Integral does not narrow for mypy); a bool raises TypeError
        seq = [
            int(b) if not isinstance(b, bool) and float(b) == int(b) else -1
            for b in cast(Sequence[int], bits)
        ]
    except (TypeError, ValueError):
        raise CircuitError(f"bits must be a sequence of 0/1 or an integer n_wires, got {bits!r}") from None
    if not seq or any(b not in (0, 1) for b in seq):
        raise CircuitError(f"bits must be a non-empty sequence of 0s and 1s, got {bits!r}")
    c = Circuit(len(seq), name="basis_encoding")
    for j, b in enumerate(seq):
        if b:
            c = c.add("X", j)
    return c


# -- data re-uploading ---------------------------------------------------------------------------------
def _encoding_block(n: int, encoding: str | Circuit) -> Circuit:
    if isinstance(encoding, Circuit):
        if encoding.n_wires != n:
            raise CircuitError(f"the encoding circuit has {encoding.n_wires} wires, expected n_wires={n}")
        return encoding
    if not isinstance(encoding, str):
        raise CircuitError(f"encoding must be a Circuit or one of {choices(REUPLOAD_ENCODINGS)}")
    key = encoding.upper()
    if key in ("X", "Y", "Z", "RX", "RY", "RZ"):
        return angle_encoding(n, key)
    if key == "IQP":
        return iqp_encoding(n)
    if key == "ZZ":
        if n < 2:
            raise CircuitError("encoding='zz' needs n_wires >= 2; use an angle encoding on one wire")
        return zz_feature_map(n, reps=1)
    raise CircuitError(
        f"unknown encoding {encoding!r}; expected one of {choices(REUPLOAD_ENCODINGS)} or a Circuit"
    )


def _trainable_block(n: int, trainable: str | Circuit) -> Circuit:
    if isinstance(trainable, Circuit):
        if trainable.n_wires != n:
            raise CircuitError(f"the trainable circuit has {trainable.n_wires} wires, expected n_wires={n}")
        if trainable.n_inputs:
            raise CircuitError("the trainable circuit must not read inputs; put data in the encoding")
        return trainable
    if trainable == "strongly_entangling":
        return strongly_entangling(n, 1)
    if trainable == "hardware_efficient":
        if n < 2:
            raise CircuitError("trainable='hardware_efficient' needs n_wires >= 2; use 'strongly_entangling'")
        return hardware_efficient(n, 1, final_rotations=False)
    if trainable == "basic_entangler":
        return basic_entangler(n, 1, rotation="Y")
    raise CircuitError(
        f"unknown trainable {trainable!r}; expected one of {choices(REUPLOAD_TRAINABLES)} or a Circuit"
    )


def data_reuploading(
    n_wires: int,
    layers: int,
    encoding: str | Circuit = "X",
    trainable: str | Circuit = "strongly_entangling",
    initial_trainable: bool = False,
) -> Circuit:
    """Data re-uploading (Perez-Salinas et al. 2020): ``[W_0] S(x) W_1 S(x) W_2 ... S(x) W_L``.

    Every layer applies the encoding block ``S(x)`` (re-using the same inputs ``x``) and
    then a trainable block ``W_l`` with fresh weights. With ``initial_trainable`` a
    trainable block also precedes the first encoding.

    Weight layout: the trainable blocks in time order, each with its own contiguous slice
    of ``P`` weights (``P`` = the block's ``n_weights``): block ``b`` uses
    ``w[b * P:(b + 1) * P]`` in the block's own layout (e.g. PennyLane's
    ``StronglyEntanglingLayers`` shape ``(1, n_wires, 3)`` for the default), so the whole
    vector reshapes to ``(n_blocks, P)``. If the encoding circuit has weights of its own,
    they get fresh indices in each layer too, interleaved in time order.

    ``n_wires=2, layers=1`` (encoding ``"X"``, trainable ``"strongly_entangling"``)::

        0: ─RX─RZ─RY─RZ─●─X─
        1: ─RX─RZ─RY─RZ─X─●─

    Args:
        n_wires: Number of qubits (at least 1).
        layers: Number of encoding + trainable layers (at least 1).
        encoding: ``"X"``, ``"Y"``, ``"Z"`` (angle encoding), ``"iqp"`` (one IQP
            repetition), ``"zz"`` (one ZZ-feature-map repetition) or a Circuit with inputs.
        trainable: ``"strongly_entangling"`` (one layer, default), ``"hardware_efficient"``
            (RY-RZ rotations + linear CNOTs), ``"basic_entangler"`` (RY + CNOT ring) or a
            Circuit without inputs.
        initial_trainable: Put a trainable block before the first encoding.

    Returns:
        The circuit, named ``"data_reuploading"``.

    Raises:
        ValueError: For bad sizes, unknown names or circuits of the wrong width.

    Example:
        >>> c = data_reuploading(2, layers=3, encoding="Y")
        >>> c.n_inputs, c.n_weights  # inputs shared by the 3 layers; 3 x (1, 2, 3) weights
        (2, 18)
    """
    n = check_int("n_wires", n_wires, 1)
    n_layers = check_int("layers", layers, 1)
    enc = _encoding_block(n, encoding)
    block = _trainable_block(n, trainable)
    c = Circuit(n, name="data_reuploading")
    if initial_trainable:
        c = c.then(block)
    for _ in range(n_layers):
        c = c.then(enc).then(block)
    return Circuit(n, c.ops, c.n_weights, max(c.n_inputs, enc.n_inputs), name="data_reuploading")


__all__ = [
    "REUPLOAD_ENCODINGS",
    "REUPLOAD_TRAINABLES",
    "amplitude_encoding",
    "amplitude_features",
    "angle_encoding",
    "basis_encoding",
    "data_reuploading",
    "iqp_encoding",
    "zz_feature_map",
]
