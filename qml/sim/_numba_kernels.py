"""The compiled loops of :mod:`qml.sim.numba_rows` (imported only there, and only when numba is installed).

Every entry point works on one range of rows ``[r0, r1)`` (or of lane groups) and releases the
GIL, so that the caller can run ranges on threads of its own. A row's state (``2**n``
amplitudes, wire ``w`` = bit ``n - 1 - w`` of the index) stays in a scratch vector that fits the
cache while all units of the circuit are applied to it.

Two forms of the same loops. Row by row (``forward_rows``, ``backward_rows``): a row's state as
real and imaginary planes, its 2x2 passes vector loops over blocks of 8 or more pairs. Lanes
(``forward_lanes``, ``backward_lanes``): ``W`` rows side by side, a state ``(2**n, 2 nl)`` of
float64 (the lanes' real parts, then their imaginary parts), so that every pass is a vector loop
over the lanes with each lane's own gate matrix ``(entries, 2 nl)``. LLVM vectorises such a loop
only when it knows that the state and the matrices do not overlap: the lane passes are compiled
with numba's ``noalias`` flag (:func:`_noalias`) and take their arrays as arguments.

Units (see :class:`qml.sim.numba_rows.Kernel`): ``0`` a chain of one-qubit gates on one wire
(their product, one pass), ``1`` one multi-qubit gate, ``2`` a basis permutation, ``3`` a
+-1 diagonal. A gate's matrix is its exact Fourier table evaluated at ``e = exp(i theta / 2)``
of its angles: ``sum_f coef[f] prod_q e_q ** freq[f, q]``, frequencies in ``-2..2``.

The helpers address one flat complex scratch buffer by offsets instead of taking array views:
a view inside a loop costs a reference-count update, which at 4-16 amplitudes per pass cost
more than the arithmetic (a 4-qubit row's backward sweep took 2.3x longer with views).

Example:
    >>> _power(1j, 2)  # e ** 2 at e = exp(i pi / 2)
    (-1+0j)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


def _noalias() -> dict[str, Any]:
    """numba's ``noalias`` flag as a jit option (``{}`` where this numba lacks it): the array
    arguments of a function so compiled do not overlap, so that LLVM vectorises loops that read
    per-lane coefficients from one array and write another without a run-time overlap check (which
    it had made too costly to take: a lane pass ran 3-10x slower). numba sets the flag for the
    bodies of its parallel loops; this registers it with the ``njit`` options."""
    try:
        from numba.core import cpu, options
    except ImportError:  # pragma: no cover - another numba layout
        return {}
    if not hasattr(options.TargetOptions, "Mapping") or not hasattr(cpu, "CPUTargetOptions"):
        return {}  # pragma: no cover
    if not hasattr(cpu.CPUTargetOptions, "noalias"):
        cpu.CPUTargetOptions.noalias = options.TargetOptions.Mapping("noalias")  # type: ignore[no-untyped-call]
    return {"noalias": True}


_jit = njit(cache=True, nogil=True, fastmath=True, boundscheck=False)  # entry points
_inline = njit(cache=True, nogil=True, fastmath=True, boundscheck=False, inline="always")  # helpers
#: lane loops: their array arguments never overlap (callers pass distinct arrays)
_HOT: dict[str, Any] = dict(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
_hot = njit(**_HOT, **_noalias())
#: rows per lane group
W = 8

# scratch layout (complex128), for chains of at most ``mc`` gates
_M = 0  # the unit's matrix (64)
_RED = 64  # a reduction (64)
_DM = 128  # a gate's derivatives, 3 x 64
_X = 320  # 2x2 temporary
_PRE = 324  # 2x2 running product of a chain's gradient (T_i of _chain_grads)
_CH = 328  # chain storage: per gate its matrix (4) and 3 derivatives (12), at a stride of 20


@_inline
def _power(e: complex, f: int) -> complex:
    if f == 0:
        return 1.0 + 0.0j
    if f == 1:
        return e
    if f == -1:
        return e.conjugate()
    if f == 2:
        return e * e
    return (e * e).conjugate()


@_inline
def _gate(g, ea, r, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, om, od, dstride, deriv):  # type: ignore[no-untyped-def]
    """Gate entry ``g``'s matrix at row ``r`` into ``sc[om:]`` and, if ``deriv``, its derivative by
    each angle ``q`` into ``sc[od + q * dstride:]`` (all flat, row-major)."""
    d2 = g_d[g] * g_d[g]
    p = g_p[g] if deriv else 0
    for x in range(d2):
        sc[om + x] = 0.0
        for q in range(p):
            sc[od + q * dstride + x] = 0.0
    for f in range(g_nf[g]):
        row = g_tab[g] + f
        ph = 1.0 + 0.0j
        for q in range(g_p[g]):
            ph *= _power(ea[r, g_slots[g, q]], freqs[row, q])
        for x in range(d2):
            t = coefs[row, x] * ph
            sc[om + x] += t
            for q in range(p):
                sc[od + q * dstride + x] += (0.5j * freqs[row, q]) * t


@_inline
def _rot(e, rot, sc, om, od, deriv):  # type: ignore[no-untyped-def]
    """The matrix of rotation ``rot`` (1 ``RX``, 2 ``RY``, 3 ``RZ``) at ``e = exp(i theta / 2)`` into
    ``sc[om:om+4]`` and, if ``deriv``, its derivative into ``sc[od:od+4]``."""
    c = e.real
    s = e.imag
    if rot == 1:
        sc[om] = c
        sc[om + 1] = -1j * s
        sc[om + 2] = -1j * s
        sc[om + 3] = c
        if deriv:
            sc[od] = -0.5 * s
            sc[od + 1] = -0.5j * c
            sc[od + 2] = -0.5j * c
            sc[od + 3] = -0.5 * s
    elif rot == 2:
        sc[om] = c
        sc[om + 1] = -s
        sc[om + 2] = s
        sc[om + 3] = c
        if deriv:
            sc[od] = -0.5 * s
            sc[od + 1] = -0.5 * c
            sc[od + 2] = 0.5 * c
            sc[od + 3] = -0.5 * s
    else:
        sc[om] = e.conjugate()
        sc[om + 1] = 0.0
        sc[om + 2] = 0.0
        sc[om + 3] = e
        if deriv:
            sc[od] = -0.5j * e.conjugate()
            sc[od + 1] = 0.0
            sc[od + 2] = 0.0
            sc[od + 3] = 0.5j * e


@_inline
def _mul2(sc, oa, ob, oo):  # type: ignore[no-untyped-def]
    """``sc[oo:oo+4] = sc[oa:oa+4] @ sc[ob:ob+4]`` (2x2, flat; ``oo`` may be ``oa`` or ``ob``)."""
    a0, a1, a2, a3 = sc[oa], sc[oa + 1], sc[oa + 2], sc[oa + 3]
    b0, b1, b2, b3 = sc[ob], sc[ob + 1], sc[ob + 2], sc[ob + 3]
    sc[oo] = a0 * b0 + a1 * b2
    sc[oo + 1] = a0 * b1 + a1 * b3
    sc[oo + 2] = a2 * b0 + a3 * b2
    sc[oo + 3] = a2 * b1 + a3 * b3


@_inline
def _eye2(sc, o):  # type: ignore[no-untyped-def]
    sc[o] = 1.0
    sc[o + 1] = 0.0
    sc[o + 2] = 0.0
    sc[o + 3] = 1.0


#: From this many amplitude pairs per block on, a row's 2x2 pass runs block by block as vector loops.
_BLOCK_MIN = 8


@_inline
def _split(sc, om, dagger):  # type: ignore[no-untyped-def]
    """The 2x2 ``sc[om:om+4]`` (or its adjoint) as 8 floats: entries 0-3, real part then imaginary."""
    if dagger:
        m0, m1, m2, m3 = (
            sc[om].conjugate(),
            sc[om + 2].conjugate(),
            sc[om + 1].conjugate(),
            sc[om + 3].conjugate(),
        )
    else:
        m0, m1, m2, m3 = sc[om], sc[om + 1], sc[om + 2], sc[om + 3]
    return (m0.real, m0.imag, m1.real, m1.imag, m2.real, m2.imag, m3.real, m3.imag)


@_inline
def _pair(re, im, i, j, m):  # type: ignore[no-untyped-def]
    """The 2x2 ``m`` (:func:`_split`) on amplitudes ``i``, ``j`` of the planes ``re``, ``im``."""
    a0r, a0i, a1r, a1i, b0r, b0i, b1r, b1i = m
    pr = re[i]
    pi = im[i]
    qr = re[j]
    qi = im[j]
    re[i] = (a0r * pr - a0i * pi) + (a1r * qr - a1i * qi)
    im[i] = (a0r * pi + a0i * pr) + (a1r * qi + a1i * qr)
    re[j] = (b0r * pr - b0i * pi) + (b1r * qr - b1i * qi)
    im[j] = (b0r * pi + b0i * pr) + (b1r * qi + b1i * qr)


@_inline
def _pair_block(re, im, o, s, m):  # type: ignore[no-untyped-def]
    """:func:`_pair` on amplitudes ``o + k``, ``o + s + k`` for ``k < s``. The indices are unsigned:
    with signed ones numba adds a negative-index wraparound to every access, and LLVM then leaves
    the loop scalar (1.9 against 0.3-1.0 ns per pair at 12 qubits). Inlined by numba: as a
    function of its own (faster still in the backward sweep's reduction) the last bits of results
    differed between loops compiled in the process and loops read from numba's cache."""
    us = np.uint64(s)
    for k in range(s):
        i = o + np.uint64(k)
        _pair(re, im, i, i + us, m)


@_inline
def _apply1(re, im, n, w, sc, om):  # type: ignore[no-untyped-def]
    """The 2x2 matrix ``sc[om:om+4]`` on wire ``w`` of a row's planes."""
    m = _split(sc, om, False)
    s = 1 << (n - 1 - w)
    if s >= _BLOCK_MIN:
        for hi in range(0, 1 << n, 2 * s):
            _pair_block(re, im, np.uint64(hi), s, m)
    else:
        for hi in range(0, 1 << n, 2 * s):
            for i in range(hi, hi + s):
                _pair(re, im, i, i + s, m)


@_inline
def _back_pair(fr, fi, lr, li, i, j, m, r):  # type: ignore[no-untyped-def]
    """One pair of :func:`_back1`: ``phi <- m phi``, the reduction ``r`` (8 floats) updated with
    ``conj(lam) phi``, ``lam <- m lam``; returns ``r``."""
    a0r, a0i, a1r, a1i, b0r, b0i, b1r, b1i = m
    ar = fr[i]
    ai = fi[i]
    br = fr[j]
    bi = fi[j]
    p0r = (a0r * ar - a0i * ai) + (a1r * br - a1i * bi)
    p0i = (a0r * ai + a0i * ar) + (a1r * bi + a1i * br)
    p1r = (b0r * ar - b0i * ai) + (b1r * br - b1i * bi)
    p1i = (b0r * ai + b0i * ar) + (b1r * bi + b1i * br)
    fr[i] = p0r
    fi[i] = p0i
    fr[j] = p1r
    fi[j] = p1i
    cr = lr[i]
    ci = li[i]
    dr = lr[j]
    di = li[j]
    lr[i] = (a0r * cr - a0i * ci) + (a1r * dr - a1i * di)
    li[i] = (a0r * ci + a0i * cr) + (a1r * di + a1i * dr)
    lr[j] = (b0r * cr - b0i * ci) + (b1r * dr - b1i * di)
    li[j] = (b0r * ci + b0i * cr) + (b1r * di + b1i * dr)
    return (
        r[0] + cr * p0r + ci * p0i,
        r[1] + cr * p0i - ci * p0r,
        r[2] + cr * p1r + ci * p1i,
        r[3] + cr * p1i - ci * p1r,
        r[4] + dr * p0r + di * p0i,
        r[5] + dr * p0i - di * p0r,
        r[6] + dr * p1r + di * p1i,
        r[7] + dr * p1i - di * p1r,
    )


@_inline
def _red_block(fr, fi, lr, li, o, s, r):  # type: ignore[no-untyped-def]
    """The reduction of :func:`_back_pair` alone over a block (``conj(lam) phi``, 8 floats added to
    ``r``), with :func:`_pair_block`'s unsigned indices; returns ``r``."""
    us = np.uint64(s)
    r0, r1, r2, r3, r4, r5, r6, r7 = r
    for k in range(s):
        i = o + np.uint64(k)
        j = i + us
        p0r = fr[i]
        p0i = fi[i]
        p1r = fr[j]
        p1i = fi[j]
        cr = lr[i]
        ci = li[i]
        dr = lr[j]
        di = li[j]
        r0 += cr * p0r + ci * p0i
        r1 += cr * p0i - ci * p0r
        r2 += cr * p1r + ci * p1i
        r3 += cr * p1i - ci * p1r
        r4 += dr * p0r + di * p0i
        r5 += dr * p0i - di * p0r
        r6 += dr * p1r + di * p1i
        r7 += dr * p1i - di * p1r
    return (r0, r1, r2, r3, r4, r5, r6, r7)


@_inline
def _back1(fr, fi, lr, li, n, w, sc, om, ored):  # type: ignore[no-untyped-def]
    """One backward step of the 2x2 ``m = sc[om:om+4]`` on wire ``w``, in one pass over the planes
    of ``phi`` and ``lam``: ``phi <- m^† phi``, ``red[a, b] = sum conj(lam[(a, .)]) phi[(b, .)]``
    into ``sc[ored:]``, ``lam <- m^† lam``."""
    m = _split(sc, om, True)
    r = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    s = 1 << (n - 1 - w)
    if s >= _BLOCK_MIN:  # three vector passes: phi, the reduction, lam
        for hi in range(0, 1 << n, 2 * s):
            o = np.uint64(hi)
            _pair_block(fr, fi, o, s, m)
            r = _red_block(fr, fi, lr, li, o, s, r)
            _pair_block(lr, li, o, s, m)
    else:  # one pass per pair: the three block passes were 1.5-3x slower on blocks under 8 pairs
        for hi in range(0, 1 << n, 2 * s):
            for i in range(hi, hi + s):
                r = _back_pair(fr, fi, lr, li, i, i + s, m, r)
    for a in range(4):
        sc[ored + a] = complex(r[2 * a], r[2 * a + 1])


@_inline
def _chain_grads(sc, b, ln, first, chain, g_p, g_slots, grad_out, r):  # type: ignore[no-untyped-def]
    """Add the angle gradients of a chain's gates to ``grad_out[r]``, from its product ``M`` (at
    ``b + _M``), the reduction ``R`` (``b + _RED``) and per gate ``i`` its matrix ``g_i`` and
    derivatives (``c = b + _CH + 20 i``, ``c + 4 + 4 q``).

    ``d<lam|M|phi> = sum R * (S_i dg_i P_i)`` (entrywise; ``S_i = g_{ln-1} .. g_{i+1}``,
    ``P_i = g_{i-1} .. g_0``) ``= sum dg_i * T_i`` with ``T_i = S_i^T R P_i^T``, and as the gates are
    unitary ``T_0 = conj(g_0) M^T R``, ``T_{i+1} = conj(g_{i+1}) T_i g_i^T``: two 2x2 products per
    gate, whatever its angle count (prefix and suffix products took five or more)."""
    t = b + _PRE
    m0, m1, m2, m3 = sc[b + _M], sc[b + _M + 1], sc[b + _M + 2], sc[b + _M + 3]
    r0, r1, r2, r3 = sc[b + _RED], sc[b + _RED + 1], sc[b + _RED + 2], sc[b + _RED + 3]
    u0 = m0 * r0 + m2 * r2  # M^T R
    u1 = m0 * r1 + m2 * r3
    u2 = m1 * r0 + m3 * r2
    u3 = m1 * r1 + m3 * r3
    c = b + _CH
    l0, l1, l2, l3 = sc[c].conjugate(), sc[c + 1].conjugate(), sc[c + 2].conjugate(), sc[c + 3].conjugate()
    sc[t] = l0 * u0 + l1 * u2
    sc[t + 1] = l0 * u1 + l1 * u3
    sc[t + 2] = l2 * u0 + l3 * u2
    sc[t + 3] = l2 * u1 + l3 * u3
    for i in range(ln):
        c = b + _CH + 20 * i
        g = chain[first + i]
        for q in range(g_p[g]):
            acc = 0.0
            for a in range(4):
                acc += (sc[c + 4 + 4 * q + a] * sc[t + a]).real
            grad_out[r, g_slots[g, q]] += 2.0 * acc
        if i + 1 < ln:  # T <- conj(g_{i+1}) T g_i^T
            x0, x1, x2, x3 = sc[t], sc[t + 1], sc[t + 2], sc[t + 3]
            g0, g1, g2, g3 = sc[c], sc[c + 1], sc[c + 2], sc[c + 3]
            y0 = x0 * g0 + x1 * g1
            y1 = x0 * g2 + x1 * g3
            y2 = x2 * g0 + x3 * g1
            y3 = x2 * g2 + x3 * g3
            n = c + 20
            l0, l1, l2, l3 = (
                sc[n].conjugate(),
                sc[n + 1].conjugate(),
                sc[n + 2].conjugate(),
                sc[n + 3].conjugate(),
            )
            sc[t] = l0 * y0 + l1 * y2
            sc[t + 1] = l0 * y1 + l1 * y3
            sc[t + 2] = l2 * y0 + l3 * y2
            sc[t + 3] = l2 * y1 + l3 * y3


@_inline
def _offsets(n, k, g_wires, g, off, pos):  # type: ignore[no-untyped-def]
    """``off[a]``: the basis offset of local index ``a`` of gate entry ``g`` (its first wire most
    significant); ``pos``: its wires' bit positions, ascending."""
    for a in range(1 << k):
        o = 0
        for t in range(k):
            if (a >> (k - 1 - t)) & 1:
                o |= 1 << (n - 1 - g_wires[g, t])
        off[a] = o
    for t in range(k):
        pos[t] = n - 1 - g_wires[g, t]
    for t in range(k):  # insertion sort: k <= 3
        for u in range(t + 1, k):
            if pos[u] < pos[t]:
                pos[t], pos[u] = pos[u], pos[t]


@_inline
def _base(j, k, pos):  # type: ignore[no-untyped-def]
    """The ``j``-th basis index whose bits at ``pos`` are 0."""
    b = j
    for t in range(k):
        p = pos[t]
        b = ((b >> p) << (p + 1)) | (b & ((1 << p) - 1))
    return b


@_inline
def _applyk(re, im, n, k, sc, om, dagger, off, pos, v):  # type: ignore[no-untyped-def]
    """The ``2**k x 2**k`` matrix ``sc[om:]`` (or its adjoint) on the wires of ``off``/``pos``."""
    dk = 1 << k
    for j in range(1 << (n - k)):
        b = _base(j, k, pos)
        for a in range(dk):
            v[a] = complex(re[b + off[a]], im[b + off[a]])
        for a in range(dk):
            acc = 0.0j
            for c in range(dk):
                if dagger:
                    acc += sc[om + c * dk + a].conjugate() * v[c]
                else:
                    acc += sc[om + a * dk + c] * v[c]
            re[b + off[a]] = acc.real
            im[b + off[a]] = acc.imag


@_inline
def _reduce(lr, li, fr, fi, n, k, off, pos, sc, ored):  # type: ignore[no-untyped-def]
    """``red[a, b] = sum_rest conj(lam[(a, rest)]) phi[(b, rest)]`` into ``sc[ored:]`` (flat)."""
    dk = 1 << k
    for x in range(dk * dk):
        sc[ored + x] = 0.0
    for j in range(1 << (n - k)):
        b0 = _base(j, k, pos)
        for a in range(dk):
            la = complex(lr[b0 + off[a]], -li[b0 + off[a]])
            for c in range(dk):
                sc[ored + a * dk + c] += la * complex(fr[b0 + off[c]], fi[b0 + off[c]])


@_jit
def forward_rows(  # type: ignore[no-untyped-def]
    r0,
    r1,
    n,
    ea,
    kern,
    idx,
    diag,
    psi_out,
    e_out,
):
    """Final states ``psi_out[r]`` and values ``e_out[r, k] = <psi|H_k|psi>`` of rows ``r0 <= r < r1``
    (``H_k psi[y] = sum_g diag[g, k, y] psi[idx[g, y]]``)."""
    (
        u_kind,
        u_arg,
        u_len,
        u_wire,
        chain,
        g_k,
        g_wires,
        g_tab,
        g_nf,
        g_p,
        g_slots,
        g_d,
        g_rot,
        coefs,
        freqs,
        perms,
        signs,
        max_chain,
    ) = kern
    d = 1 << n
    ng, nk, _ = diag.shape
    re, im, tre, tim = np.empty(d), np.empty(d), np.empty(d), np.empty(d)  # the row's planes
    sc = np.empty(_CH + 20 * max(max_chain, 1), dtype=np.complex128)
    v = np.empty(8, dtype=np.complex128)
    off = np.empty(8, dtype=np.int64)
    pos = np.empty(3, dtype=np.int64)
    for r in range(r0, r1):
        re[:] = 0.0
        im[:] = 0.0
        re[0] = 1.0
        for u in range(u_kind.shape[0]):
            kind = u_kind[u]
            if kind == 0:
                _eye2(sc, _M)
                for i in range(u_len[u]):
                    g = chain[u_arg[u] + i]
                    if g_rot[g] != 0:
                        _rot(ea[r, g_slots[g, 0]], g_rot[g], sc, _X, 0, False)
                    else:
                        _gate(g, ea, r, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, _X, 0, 0, False)
                    _mul2(sc, _X, _M, _M)
                _apply1(re, im, n, u_wire[u], sc, _M)
            elif kind == 1:
                g = u_arg[u]
                _gate(g, ea, r, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, _M, 0, 0, False)
                _offsets(n, g_k[g], g_wires, g, off, pos)
                _applyk(re, im, n, g_k[g], sc, _M, False, off, pos, v)
            elif kind == 2:
                pu = u_arg[u]
                for y in range(d):
                    tre[perms[pu, y]] = re[y]
                    tim[perms[pu, y]] = im[y]
                re, tre = tre, re
                im, tim = tim, im
            else:
                su = u_arg[u]
                for y in range(d):
                    re[y] *= signs[su, y]
                    im[y] *= signs[su, y]
        for y in range(d):
            psi_out[r, y] = complex(re[y], im[y])
        for k in range(nk):
            acc = 0.0
            for g in range(ng):
                for y in range(d):
                    h = diag[g, k, y] * complex(re[idx[g, y]], im[idx[g, y]])
                    acc += re[y] * h.real + im[y] * h.imag
            e_out[r, k] = acc


@_jit
def backward_rows(  # type: ignore[no-untyped-def]
    r0,
    r1,
    n,
    ea,
    kern,
    idx,
    diag,
    psi_out,
    grad_e,
    grad_out,
):
    """Angle gradients ``grad_out[r] = 2 Re sum_j <lam_j| dU_j |phi_{j-1}>`` of rows ``r0 <= r < r1``
    (adjoint differentiation from the final states ``psi_out``; ``lam = sum_k grad_e[r, k] H_k psi``)."""
    (
        u_kind,
        u_arg,
        u_len,
        u_wire,
        chain,
        g_k,
        g_wires,
        g_tab,
        g_nf,
        g_p,
        g_slots,
        g_d,
        g_rot,
        coefs,
        freqs,
        perms,
        signs,
        max_chain,
    ) = kern
    d = 1 << n
    ng, nk, _ = diag.shape
    fr, fi, lr, li = np.empty(d), np.empty(d), np.empty(d), np.empty(d)  # planes of phi and lam
    tre, tim = np.empty(d), np.empty(d)
    sc = np.empty(_CH + 20 * max(max_chain, 1), dtype=np.complex128)
    v = np.empty(8, dtype=np.complex128)
    off = np.empty(8, dtype=np.int64)
    pos = np.empty(3, dtype=np.int64)
    for r in range(r0, r1):
        for s in range(grad_out.shape[1]):
            grad_out[r, s] = 0.0
        for y in range(d):
            fr[y] = psi_out[r, y].real
            fi[y] = psi_out[r, y].imag
            acc = 0.0j
            for g in range(ng):
                py = psi_out[r, idx[g, y]]
                for k in range(nk):
                    acc += grad_e[r, k] * diag[g, k, y] * py
            lr[y] = acc.real
            li[y] = acc.imag
        for u in range(u_kind.shape[0] - 1, -1, -1):
            kind = u_kind[u]
            if kind == 0:
                ln = u_len[u]
                first = u_arg[u]
                _eye2(sc, _M)
                for i in range(ln):  # gate i: matrix at c, derivatives at c + 4
                    c = _CH + 20 * i
                    g = chain[first + i]
                    if g_rot[g] != 0:
                        _rot(ea[r, g_slots[g, 0]], g_rot[g], sc, c, c + 4, True)
                    else:
                        _gate(g, ea, r, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, c, c + 4, 4, True)
                    _mul2(sc, c, _M, _M)
                _back1(fr, fi, lr, li, n, u_wire[u], sc, _M, _RED)
                _chain_grads(sc, 0, ln, first, chain, g_p, g_slots, grad_out, r)
            elif kind == 1:
                g = u_arg[u]
                k = g_k[g]
                _gate(g, ea, r, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, _M, _DM, 64, True)
                _offsets(n, k, g_wires, g, off, pos)
                _applyk(fr, fi, n, k, sc, _M, True, off, pos, v)
                if g_p[g] > 0:
                    _reduce(lr, li, fr, fi, n, k, off, pos, sc, _RED)
                    d2 = 1 << (2 * k)
                    for q in range(g_p[g]):
                        t = 0.0
                        for a in range(d2):
                            t += (sc[_RED + a] * sc[_DM + 64 * q + a]).real
                        grad_out[r, g_slots[g, q]] += 2.0 * t
                _applyk(lr, li, n, k, sc, _M, True, off, pos, v)
            elif kind == 2:
                pu = u_arg[u]
                for y in range(d):
                    tre[y] = fr[perms[pu, y]]
                    tim[y] = fi[perms[pu, y]]
                fr, tre = tre, fr
                fi, tim = tim, fi
                for y in range(d):
                    tre[y] = lr[perms[pu, y]]
                    tim[y] = li[perms[pu, y]]
                lr, tre = tre, lr
                li, tim = tim, li
            else:
                su = u_arg[u]
                for y in range(d):
                    fr[y] *= signs[su, y]
                    fi[y] *= signs[su, y]
                    lr[y] *= signs[su, y]
                    li[y] *= signs[su, y]


# ---------------------------------------------------------------------------------------------
# Lanes: the states of up to ``W`` rows side by side
# ---------------------------------------------------------------------------------------------


@_hot
def _fill(sc, sn, om, dk, dagger, m):  # type: ignore[no-untyped-def]
    """Each lane's ``dk x dk`` matrix ``sc[l * sn + om:]`` (or its adjoint) into ``m`` ``(dk * dk, 2 nl)``."""
    nl = m.shape[1] // 2
    for l in range(nl):
        b = l * sn + om
        for a in range(dk):
            for c in range(dk):
                z = sc[b + c * dk + a].conjugate() if dagger else sc[b + a * dk + c]
                m[a * dk + c, l] = z.real
                m[a * dk + c, nl + l] = z.imag


@_hot
def _apply1_lanes(st, n, w, m):  # type: ignore[no-untyped-def]
    """Each lane's 2x2 ``m`` on wire ``w``."""
    nl = st.shape[1] // 2  # the lane count, read at run time so that LLVM vectorises the loops
    s = 1 << (n - 1 - w)
    for hi in range(0, 1 << n, 2 * s):
        for i in range(hi, hi + s):
            j = i + s
            for l in range(nl):
                ar = st[i, l]
                ai = st[i, nl + l]
                br = st[j, l]
                bi = st[j, nl + l]
                st[i, l] = m[0, l] * ar - m[0, nl + l] * ai + m[1, l] * br - m[1, nl + l] * bi
                st[i, nl + l] = m[0, l] * ai + m[0, nl + l] * ar + m[1, l] * bi + m[1, nl + l] * br
                st[j, l] = m[2, l] * ar - m[2, nl + l] * ai + m[3, l] * br - m[3, nl + l] * bi
                st[j, nl + l] = m[2, l] * ai + m[2, nl + l] * ar + m[3, l] * bi + m[3, nl + l] * br


@_hot
def _back1_lanes(f, lam, n, w, m, red):  # type: ignore[no-untyped-def]
    """One backward step of a 2x2 on wire ``w`` in one pass (``m``: each lane's adjoint):
    ``phi <- m phi``, ``red[a, b] = sum conj(lam[(a, .)]) phi[(b, .)]`` (``red`` ``(4, 2 nl)``),
    ``lam <- m lam``."""
    nl = f.shape[1] // 2
    for x in range(4):
        for l in range(2 * nl):
            red[x, l] = 0.0
    s = 1 << (n - 1 - w)
    for hi in range(0, 1 << n, 2 * s):
        for i in range(hi, hi + s):
            j = i + s
            for l in range(nl):
                ar = f[i, l]
                ai = f[i, nl + l]
                br = f[j, l]
                bi = f[j, nl + l]
                p0r = m[0, l] * ar - m[0, nl + l] * ai + m[1, l] * br - m[1, nl + l] * bi
                p0i = m[0, l] * ai + m[0, nl + l] * ar + m[1, l] * bi + m[1, nl + l] * br
                p1r = m[2, l] * ar - m[2, nl + l] * ai + m[3, l] * br - m[3, nl + l] * bi
                p1i = m[2, l] * ai + m[2, nl + l] * ar + m[3, l] * bi + m[3, nl + l] * br
                f[i, l] = p0r
                f[i, nl + l] = p0i
                f[j, l] = p1r
                f[j, nl + l] = p1i
                cr = lam[i, l]
                ci = lam[i, nl + l]
                dr = lam[j, l]
                di = lam[j, nl + l]
                red[0, l] += cr * p0r + ci * p0i
                red[0, nl + l] += cr * p0i - ci * p0r
                red[1, l] += cr * p1r + ci * p1i
                red[1, nl + l] += cr * p1i - ci * p1r
                red[2, l] += dr * p0r + di * p0i
                red[2, nl + l] += dr * p0i - di * p0r
                red[3, l] += dr * p1r + di * p1i
                red[3, nl + l] += dr * p1i - di * p1r
                lam[i, l] = m[0, l] * cr - m[0, nl + l] * ci + m[1, l] * dr - m[1, nl + l] * di
                lam[i, nl + l] = m[0, l] * ci + m[0, nl + l] * cr + m[1, l] * di + m[1, nl + l] * dr
                lam[j, l] = m[2, l] * cr - m[2, nl + l] * ci + m[3, l] * dr - m[3, nl + l] * di
                lam[j, nl + l] = m[2, l] * ci + m[2, nl + l] * cr + m[3, l] * di + m[3, nl + l] * dr


@_hot
def _applyk_lanes(st, n, k, m, off, pos, v):  # type: ignore[no-untyped-def]
    """Each lane's ``2**k x 2**k`` matrix ``m`` on the wires of ``off``/``pos`` (scratch ``v``)."""
    nl = st.shape[1] // 2
    dk = 1 << k
    for j in range(1 << (n - k)):
        b = _base(j, k, pos)
        for a in range(dk):
            y = b + off[a]
            for l in range(2 * nl):
                v[a, l] = st[y, l]
        for a in range(dk):
            y = b + off[a]
            for l in range(2 * nl):
                st[y, l] = 0.0
            for c in range(dk):
                x = a * dk + c
                for l in range(nl):
                    st[y, l] += m[x, l] * v[c, l] - m[x, nl + l] * v[c, nl + l]
                    st[y, nl + l] += m[x, l] * v[c, nl + l] + m[x, nl + l] * v[c, l]


@_hot
def _reduce_lanes(lam, f, n, k, off, pos, red):  # type: ignore[no-untyped-def]
    """``red[a, b] = sum_rest conj(lam[(a, rest)]) phi[(b, rest)]`` per lane (``red`` ``(dk * dk, 2 nl)``)."""
    nl = f.shape[1] // 2
    dk = 1 << k
    for x in range(dk * dk):
        for l in range(2 * nl):
            red[x, l] = 0.0
    for j in range(1 << (n - k)):
        b = _base(j, k, pos)
        for a in range(dk):
            ya = b + off[a]
            for c in range(dk):
                yc = b + off[c]
                x = a * dk + c
                for l in range(nl):
                    red[x, l] += lam[ya, l] * f[yc, l] + lam[ya, nl + l] * f[yc, nl + l]
                    red[x, nl + l] += lam[ya, l] * f[yc, nl + l] - lam[ya, nl + l] * f[yc, l]


@_hot
def _scatter(src, dst, perm):  # type: ignore[no-untyped-def]
    """``dst[perm[y]] = src[y]``."""
    for y in range(src.shape[0]):
        z = perm[y]
        for l in range(src.shape[1]):
            dst[z, l] = src[y, l]


@_hot
def _gather(src, dst, perm):  # type: ignore[no-untyped-def]
    """``dst[y] = src[perm[y]]``."""
    for y in range(src.shape[0]):
        z = perm[y]
        for l in range(src.shape[1]):
            dst[y, l] = src[z, l]


@_hot
def _sign(st, sg):  # type: ignore[no-untyped-def]
    for y in range(st.shape[0]):
        s = sg[y]
        for l in range(st.shape[1]):
            st[y, l] *= s


@_hot
def _energy(st, idx, diag, k, acc):  # type: ignore[no-untyped-def]
    """``acc[l] = <psi_l|H_k|psi_l>`` (``H_k psi[y] = sum_g diag[g, k, y] psi[idx[g, y]]``)."""
    nl = st.shape[1] // 2
    for l in range(nl):
        acc[l] = 0.0
    for g in range(diag.shape[0]):
        for y in range(st.shape[0]):
            z = idx[g, y]
            dr = diag[g, k, y].real
            di = diag[g, k, y].imag
            for l in range(nl):
                hr = dr * st[z, l] - di * st[z, nl + l]
                hm = dr * st[z, nl + l] + di * st[z, l]
                acc[l] += st[y, l] * hr + st[y, nl + l] * hm


@_hot
def _hpsi(f, lam, idx, diag, ge):  # type: ignore[no-untyped-def]
    """``lam_l = sum_k ge[k, l] H_k phi_l``."""
    nl = f.shape[1] // 2
    for y in range(f.shape[0]):
        for l in range(2 * nl):
            lam[y, l] = 0.0
    for g in range(diag.shape[0]):
        for y in range(f.shape[0]):
            z = idx[g, y]
            for k in range(diag.shape[1]):
                dr = diag[g, k, y].real
                di = diag[g, k, y].imag
                for l in range(nl):
                    cr = ge[k, l] * dr
                    cm = ge[k, l] * di
                    lam[y, l] += cr * f[z, l] - cm * f[z, nl + l]
                    lam[y, nl + l] += cr * f[z, nl + l] + cm * f[z, l]


@_inline
def _chain(  # type: ignore[no-untyped-def]
    first, ln, ea, rw, nl, sn, chain, g_tab, g_nf, g_p, g_slots, g_d, g_rot, coefs, freqs, sc, deriv
):
    """Each lane's product of the chain ``chain[first:first + ln]`` into ``sc[l * sn + _M:]``; with
    ``deriv``, per gate ``i`` its matrix at ``c = l * sn + _CH + 20 i`` and its derivatives at
    ``c + 4`` (the layout of :func:`backward_rows`, whose chain gradient the lanes repeat per lane).
    The row loops build their chains inline: through this loop over one lane a 1-3 row step at 4-8
    qubits took up to twice as long."""
    for l in range(nl):
        b = l * sn
        _eye2(sc, b + _M)
        for i in range(ln):
            g = chain[first + i]
            c = b + _CH + 20 * i if deriv else b + _X
            if g_rot[g] != 0:
                _rot(ea[rw[l], g_slots[g, 0]], g_rot[g], sc, c, c + 4, deriv)
            else:
                _gate(g, ea, rw[l], g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, c, c + 4, 4, deriv)
            _mul2(sc, c, b + _M, b + _M)


@_inline
def _all_rot(first, ln, chain, g_rot):  # type: ignore[no-untyped-def]
    """Whether every gate of the chain ``chain[first:first + ln]`` is ``RX``, ``RY`` or ``RZ``."""
    for i in range(ln):  # noqa: SIM110 - a loop: numba compiles it, not a generator
        if g_rot[chain[first + i]] == 0:
            return False
    return True


@_hot
def _rot_chain_lanes(ea, r0, first, ln, chain, g_rot, g_slots, mm):  # type: ignore[no-untyped-def]
    """Each lane's product ``M`` of a chain of rotations into ``mm`` ``(4, 2 nl)``, one vector loop per
    gate (lane ``l`` is row ``r0 + l``; ``e = exp(i theta / 2) = c + i s``)."""
    nl = mm.shape[1] // 2
    for l in range(nl):
        mm[0, l] = 1.0
        mm[1, l] = 0.0
        mm[2, l] = 0.0
        mm[3, l] = 1.0
        mm[0, nl + l] = 0.0
        mm[1, nl + l] = 0.0
        mm[2, nl + l] = 0.0
        mm[3, nl + l] = 0.0
    for i in range(ln):
        g = chain[first + i]
        rot = g_rot[g]
        slot = g_slots[g, 0]
        for l in range(nl):
            e = ea[r0 + l, slot]
            c = e.real
            s = e.imag
            a0r, a1r, a2r, a3r = mm[0, l], mm[1, l], mm[2, l], mm[3, l]
            a0i, a1i, a2i, a3i = mm[0, nl + l], mm[1, nl + l], mm[2, nl + l], mm[3, nl + l]
            if rot == 1:  # RX = [[c, -is], [-is, c]]
                mm[0, l] = c * a0r + s * a2i
                mm[0, nl + l] = c * a0i - s * a2r
                mm[1, l] = c * a1r + s * a3i
                mm[1, nl + l] = c * a1i - s * a3r
                mm[2, l] = c * a2r + s * a0i
                mm[2, nl + l] = c * a2i - s * a0r
                mm[3, l] = c * a3r + s * a1i
                mm[3, nl + l] = c * a3i - s * a1r
            elif rot == 2:  # RY = [[c, -s], [s, c]]
                mm[0, l] = c * a0r - s * a2r
                mm[0, nl + l] = c * a0i - s * a2i
                mm[1, l] = c * a1r - s * a3r
                mm[1, nl + l] = c * a1i - s * a3i
                mm[2, l] = s * a0r + c * a2r
                mm[2, nl + l] = s * a0i + c * a2i
                mm[3, l] = s * a1r + c * a3r
                mm[3, nl + l] = s * a1i + c * a3i
            else:  # RZ = diag(conj(e), e)
                mm[0, l] = c * a0r + s * a0i
                mm[0, nl + l] = c * a0i - s * a0r
                mm[1, l] = c * a1r + s * a1i
                mm[1, nl + l] = c * a1i - s * a1r
                mm[2, l] = c * a2r - s * a2i
                mm[2, nl + l] = c * a2i + s * a2r
                mm[3, l] = c * a3r - s * a3i
                mm[3, nl + l] = c * a3i + s * a3r


@_hot
def _dagger_lanes(mm, m):  # type: ignore[no-untyped-def]
    """``m = mm^dagger`` per lane (2x2 planes)."""
    nl = mm.shape[1] // 2
    for l in range(nl):
        m[0, l] = mm[0, l]
        m[0, nl + l] = -mm[0, nl + l]
        m[1, l] = mm[2, l]
        m[1, nl + l] = -mm[2, nl + l]
        m[2, l] = mm[1, l]
        m[2, nl + l] = -mm[1, nl + l]
        m[3, l] = mm[3, l]
        m[3, nl + l] = -mm[3, nl + l]


@_inline
def _rot_planes(rot, c, s):  # type: ignore[no-untyped-def]
    """A rotation's entries ``(g0, g1, g2, g3)`` as (re, im) pairs at ``e = c + i s``, and those of its
    derivative by the angle."""
    h = 0.5
    if rot == 1:
        return (c, 0.0, 0.0, -s, 0.0, -s, c, 0.0), (-h * s, 0.0, 0.0, -h * c, 0.0, -h * c, -h * s, 0.0)
    if rot == 2:
        return (c, 0.0, -s, 0.0, s, 0.0, c, 0.0), (-h * s, 0.0, -h * c, 0.0, h * c, 0.0, -h * s, 0.0)
    return (c, -s, 0.0, 0.0, 0.0, 0.0, c, s), (-h * s, -h * c, 0.0, 0.0, 0.0, 0.0, -h * s, h * c)


@_hot
def _rot_chain_grads_lanes(ea, r0, first, ln, chain, g_rot, g_slots, mm, red, t, grad_out):  # type: ignore[no-untyped-def]
    """:func:`_chain_grads` for a chain of rotations, per lane in vector loops: ``mm`` the chain's
    product, ``red`` the reduction ``R`` (planes ``(4, 2 nl)``), ``t`` scratch planes."""
    nl = mm.shape[1] // 2
    g = chain[first]
    rot = g_rot[g]
    slot = g_slots[g, 0]
    for l in range(nl):  # T_0 = conj(g_0) M^T R
        m0r, m1r, m2r, m3r = mm[0, l], mm[1, l], mm[2, l], mm[3, l]
        m0i, m1i, m2i, m3i = mm[0, nl + l], mm[1, nl + l], mm[2, nl + l], mm[3, nl + l]
        r0r, r1r, r2r, r3r = red[0, l], red[1, l], red[2, l], red[3, l]
        r0i, r1i, r2i, r3i = red[0, nl + l], red[1, nl + l], red[2, nl + l], red[3, nl + l]
        u0r = m0r * r0r - m0i * r0i + m2r * r2r - m2i * r2i
        u0i = m0r * r0i + m0i * r0r + m2r * r2i + m2i * r2r
        u1r = m0r * r1r - m0i * r1i + m2r * r3r - m2i * r3i
        u1i = m0r * r1i + m0i * r1r + m2r * r3i + m2i * r3r
        u2r = m1r * r0r - m1i * r0i + m3r * r2r - m3i * r2i
        u2i = m1r * r0i + m1i * r0r + m3r * r2i + m3i * r2r
        u3r = m1r * r1r - m1i * r1i + m3r * r3r - m3i * r3i
        u3i = m1r * r1i + m1i * r1r + m3r * r3i + m3i * r3r
        e = ea[r0 + l, slot]
        (g0r, g0i, g1r, g1i, g2r, g2i, g3r, g3i), _ = _rot_planes(rot, e.real, e.imag)
        g0i, g1i, g2i, g3i = -g0i, -g1i, -g2i, -g3i  # conj(g_0)
        t[0, l] = g0r * u0r - g0i * u0i + g1r * u2r - g1i * u2i
        t[0, nl + l] = g0r * u0i + g0i * u0r + g1r * u2i + g1i * u2r
        t[1, l] = g0r * u1r - g0i * u1i + g1r * u3r - g1i * u3i
        t[1, nl + l] = g0r * u1i + g0i * u1r + g1r * u3i + g1i * u3r
        t[2, l] = g2r * u0r - g2i * u0i + g3r * u2r - g3i * u2i
        t[2, nl + l] = g2r * u0i + g2i * u0r + g3r * u2i + g3i * u2r
        t[3, l] = g2r * u1r - g2i * u1i + g3r * u3r - g3i * u3i
        t[3, nl + l] = g2r * u1i + g2i * u1r + g3r * u3i + g3i * u3r
    for i in range(ln):
        g = chain[first + i]
        rot = g_rot[g]
        slot = g_slots[g, 0]
        last = i + 1 == ln
        nrot = rot if last else g_rot[chain[first + i + 1]]
        nslot = slot if last else g_slots[chain[first + i + 1], 0]
        for l in range(nl):
            e = ea[r0 + l, slot]
            (g0r, g0i, g1r, g1i, g2r, g2i, g3r, g3i), (d0r, d0i, d1r, d1i, d2r, d2i, d3r, d3i) = _rot_planes(
                rot, e.real, e.imag
            )
            x0r, x1r, x2r, x3r = t[0, l], t[1, l], t[2, l], t[3, l]
            x0i, x1i, x2i, x3i = t[0, nl + l], t[1, nl + l], t[2, nl + l], t[3, nl + l]
            acc = (
                d0r * x0r - d0i * x0i + d1r * x1r - d1i * x1i + d2r * x2r - d2i * x2i + d3r * x3r - d3i * x3i
            )
            grad_out[r0 + l, slot] += 2.0 * acc
            if not last:  # T <- conj(g_{i+1}) T g_i^T
                y0r = x0r * g0r - x0i * g0i + x1r * g1r - x1i * g1i
                y0i = x0r * g0i + x0i * g0r + x1r * g1i + x1i * g1r
                y1r = x0r * g2r - x0i * g2i + x1r * g3r - x1i * g3i
                y1i = x0r * g2i + x0i * g2r + x1r * g3i + x1i * g3r
                y2r = x2r * g0r - x2i * g0i + x3r * g1r - x3i * g1i
                y2i = x2r * g0i + x2i * g0r + x3r * g1i + x3i * g1r
                y3r = x2r * g2r - x2i * g2i + x3r * g3r - x3i * g3i
                y3i = x2r * g2i + x2i * g2r + x3r * g3i + x3i * g3r
                en = ea[r0 + l, nslot]
                (l0r, l0i, l1r, l1i, l2r, l2i, l3r, l3i), _ = _rot_planes(nrot, en.real, en.imag)
                l0i, l1i, l2i, l3i = -l0i, -l1i, -l2i, -l3i
                t[0, l] = l0r * y0r - l0i * y0i + l1r * y2r - l1i * y2i
                t[0, nl + l] = l0r * y0i + l0i * y0r + l1r * y2i + l1i * y2r
                t[1, l] = l0r * y1r - l0i * y1i + l1r * y3r - l1i * y3i
                t[1, nl + l] = l0r * y1i + l0i * y1r + l1r * y3i + l1i * y3r
                t[2, l] = l2r * y0r - l2i * y0i + l3r * y2r - l3i * y2i
                t[2, nl + l] = l2r * y0i + l2i * y0r + l3r * y2i + l3i * y2r
                t[3, l] = l2r * y1r - l2i * y1i + l3r * y3r - l3i * y3i
                t[3, nl + l] = l2r * y1i + l2i * y1r + l3r * y3i + l3i * y3r


@_jit
def forward_lanes(  # type: ignore[no-untyped-def]
    g0,
    g1,
    rows,
    n,
    ea,
    kern,
    idx,
    diag,
    psi_out,
    e_out,
):
    """Final states and values ``e_out[r, k] = <psi|H_k|psi>`` of the rows of lane groups
    ``g0 <= grp < g1`` (``H_k psi[y] = sum_g diag[g, k, y] psi[idx[g, y]]``): group ``grp`` holds rows
    ``W grp ..`` (fewer in the last), its states in ``psi_out[grp]`` ``(2**n, 2 W)`` (real parts, then
    imaginary parts)."""
    (
        u_kind,
        u_arg,
        u_len,
        u_wire,
        chain,
        g_k,
        g_wires,
        g_tab,
        g_nf,
        g_p,
        g_slots,
        g_d,
        g_rot,
        coefs,
        freqs,
        perms,
        signs,
        max_chain,
    ) = kern
    d = 1 << n
    sn = _CH + 20 * max(max_chain, 1)
    sc = np.empty(W * sn, dtype=np.complex128)
    rw = np.empty(W, dtype=np.int64)
    off = np.empty(8, dtype=np.int64)
    pos = np.empty(3, dtype=np.int64)
    nl0 = min(W, rows - g0 * W)
    st, tm, m, v, acc = (
        np.empty((d, 2 * nl0)),
        np.empty((d, 2 * nl0)),
        np.empty((64, 2 * nl0)),
        np.empty((8, 2 * nl0)),
        np.empty(nl0),
    )
    for grp in range(g0, g1):
        nl = min(W, rows - grp * W)
        if nl != st.shape[1] // 2:  # the last group is short: scratch of its width
            st, tm, m, v, acc = (
                np.empty((d, 2 * nl)),
                np.empty((d, 2 * nl)),
                np.empty((64, 2 * nl)),
                np.empty((8, 2 * nl)),
                np.empty(nl),
            )
        nl = st.shape[1] // 2
        r0 = grp * W
        for l in range(nl):
            rw[l] = r0 + l
        st[:] = 0.0
        for l in range(nl):
            st[0, l] = 1.0
        for u in range(u_kind.shape[0]):
            kind = u_kind[u]
            if kind == 0 and _all_rot(u_arg[u], u_len[u], chain, g_rot):
                _rot_chain_lanes(ea, r0, u_arg[u], u_len[u], chain, g_rot, g_slots, m)
                _apply1_lanes(st, n, u_wire[u], m)
            elif kind == 0:
                _chain(
                    u_arg[u],
                    u_len[u],
                    ea,
                    rw,
                    nl,
                    sn,
                    chain,
                    g_tab,
                    g_nf,
                    g_p,
                    g_slots,
                    g_d,
                    g_rot,
                    coefs,
                    freqs,
                    sc,
                    False,
                )
                _fill(sc, sn, _M, 2, False, m)
                _apply1_lanes(st, n, u_wire[u], m)
            elif kind == 1:
                g = u_arg[u]
                for l in range(nl):
                    _gate(
                        g,
                        ea,
                        rw[l],
                        g_tab,
                        g_nf,
                        g_p,
                        g_slots,
                        g_d,
                        coefs,
                        freqs,
                        sc,
                        l * sn + _M,
                        0,
                        0,
                        False,
                    )
                _fill(sc, sn, _M, g_d[g], False, m)
                _offsets(n, g_k[g], g_wires, g, off, pos)
                _applyk_lanes(st, n, g_k[g], m, off, pos, v)
            elif kind == 2:
                _scatter(st, tm, perms[u_arg[u]])
                st, tm = tm, st
            else:
                _sign(st, signs[u_arg[u]])
        for y in range(st.shape[0]):
            for l in range(nl):
                psi_out[grp, y, l] = st[y, l]
                psi_out[grp, y, W + l] = st[y, nl + l]
        for k in range(diag.shape[1]):
            _energy(st, idx, diag, k, acc)
            for l in range(nl):
                e_out[r0 + l, k] = acc[l]


@_jit
def backward_lanes(  # type: ignore[no-untyped-def]
    g0,
    g1,
    rows,
    n,
    ea,
    kern,
    idx,
    diag,
    psi_out,
    grad_e,
    grad_out,
):
    """Angle gradients ``grad_out[r] = 2 Re sum_j <lam_j| dU_j |phi_{j-1}>`` of the rows of lane groups
    ``g0 <= grp < g1`` (adjoint differentiation from the final states ``psi_out`` of
    :func:`forward_lanes`; ``lam = sum_k grad_e[r, k] H_k psi``)."""
    (
        u_kind,
        u_arg,
        u_len,
        u_wire,
        chain,
        g_k,
        g_wires,
        g_tab,
        g_nf,
        g_p,
        g_slots,
        g_d,
        g_rot,
        coefs,
        freqs,
        perms,
        signs,
        max_chain,
    ) = kern
    d = 1 << n
    sn = _CH + 20 * max(max_chain, 1)
    sc = np.empty(W * sn, dtype=np.complex128)
    rw = np.empty(W, dtype=np.int64)
    off = np.empty(8, dtype=np.int64)
    pos = np.empty(3, dtype=np.int64)
    nk = grad_e.shape[1]
    nl0 = min(W, rows - g0 * W)
    f, lam, tm = np.empty((d, 2 * nl0)), np.empty((d, 2 * nl0)), np.empty((d, 2 * nl0))
    mm, tq = np.empty((4, 2 * nl0)), np.empty((4, 2 * nl0))
    m, red, v, ge = (
        np.empty((64, 2 * nl0)),
        np.empty((64, 2 * nl0)),
        np.empty((8, 2 * nl0)),
        np.empty((nk, nl0)),
    )
    for grp in range(g0, g1):
        nl = min(W, rows - grp * W)
        if nl != f.shape[1] // 2:  # the last group is short: scratch of its width
            f, lam, tm = np.empty((d, 2 * nl)), np.empty((d, 2 * nl)), np.empty((d, 2 * nl))
            mm, tq = np.empty((4, 2 * nl)), np.empty((4, 2 * nl))
            m, red, v, ge = (
                np.empty((64, 2 * nl)),
                np.empty((64, 2 * nl)),
                np.empty((8, 2 * nl)),
                np.empty((nk, nl)),
            )
        nl = f.shape[1] // 2
        r0 = grp * W
        for l in range(nl):
            rw[l] = r0 + l
            for s in range(grad_out.shape[1]):
                grad_out[r0 + l, s] = 0.0
            for k in range(grad_e.shape[1]):
                ge[k, l] = grad_e[r0 + l, k]
        for y in range(f.shape[0]):
            for l in range(nl):
                f[y, l] = psi_out[grp, y, l]
                f[y, nl + l] = psi_out[grp, y, W + l]
        _hpsi(f, lam, idx, diag, ge)
        for u in range(u_kind.shape[0] - 1, -1, -1):
            kind = u_kind[u]
            if kind == 0 and _all_rot(u_arg[u], u_len[u], chain, g_rot):
                _rot_chain_lanes(ea, r0, u_arg[u], u_len[u], chain, g_rot, g_slots, mm)
                _dagger_lanes(mm, m)
                _back1_lanes(f, lam, n, u_wire[u], m, red)
                _rot_chain_grads_lanes(
                    ea, r0, u_arg[u], u_len[u], chain, g_rot, g_slots, mm, red, tq, grad_out
                )
            elif kind == 0:
                ln = u_len[u]
                first = u_arg[u]
                _chain(
                    first,
                    ln,
                    ea,
                    rw,
                    nl,
                    sn,
                    chain,
                    g_tab,
                    g_nf,
                    g_p,
                    g_slots,
                    g_d,
                    g_rot,
                    coefs,
                    freqs,
                    sc,
                    True,
                )
                _fill(sc, sn, _M, 2, True, m)
                _back1_lanes(f, lam, n, u_wire[u], m, red)
                for l in range(nl):
                    b = l * sn
                    for a in range(4):
                        sc[b + _RED + a] = complex(red[a, l], red[a, nl + l])
                    _chain_grads(sc, b, ln, first, chain, g_p, g_slots, grad_out, r0 + l)
            elif kind == 1:
                g = u_arg[u]
                k = g_k[g]
                for l in range(nl):
                    _gate(
                        g,
                        ea,
                        rw[l],
                        g_tab,
                        g_nf,
                        g_p,
                        g_slots,
                        g_d,
                        coefs,
                        freqs,
                        sc,
                        l * sn + _M,
                        l * sn + _DM,
                        64,
                        True,
                    )
                _fill(sc, sn, _M, g_d[g], True, m)
                _offsets(n, k, g_wires, g, off, pos)
                _applyk_lanes(f, n, k, m, off, pos, v)
                if g_p[g] > 0:
                    _reduce_lanes(lam, f, n, k, off, pos, red)
                    d2 = 1 << (2 * k)
                    for l in range(nl):
                        b = l * sn
                        for q in range(g_p[g]):
                            t = 0.0
                            for a in range(d2):
                                t += (complex(red[a, l], red[a, nl + l]) * sc[b + _DM + 64 * q + a]).real
                            grad_out[r0 + l, g_slots[g, q]] += 2.0 * t
                _applyk_lanes(lam, n, k, m, off, pos, v)
            elif kind == 2:
                _gather(f, tm, perms[u_arg[u]])
                f, tm = tm, f
                _gather(lam, tm, perms[u_arg[u]])
                lam, tm = tm, lam
            else:
                _sign(f, signs[u_arg[u]])
                _sign(lam, signs[u_arg[u]])
