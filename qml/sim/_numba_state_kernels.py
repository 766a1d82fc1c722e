"""The compiled loops of :mod:`qml.sim.numba_state` (imported only there, and only when numba is installed).

The state is a float array ``st`` of shape ``(2**(n-b), 2 * 2**b)`` for ``b`` lane bits: block
``B``, the real parts of its ``2**b`` lanes, then their imaginary parts (constant offsets within
a row, so that LLVM can prove that the parts do not overlap); amplitude ``2**b B + j`` of the
*physical* order (bit ``p`` holds the qubit whose position is ``p``, see
:mod:`qml.sim.numba_state`). Gates act on block bits only (the lane bits hold qubits that the
sweep leaves alone), so every inner loop runs over the lanes of whole blocks with the gate's
coefficients in registers, and LLVM turns it into vector instructions. The lane count is read
from the array at run time: a loop of unknown length is vectorised with a run-time overlap
check, one of 16 fixed iterations was unrolled into scalar code. A sweep applies its ops to one
chunk of blocks after another, and within a chunk group by group to one sub-chunk after
another: the sub-chunk's blocks are ``base + off[a]`` for the ``2**K`` indices ``a`` of the
group's bits (``base``: the chunk's and the sub-chunk's bits), so that the sub-chunk stays in
the L1 cache while the group's ops pass over it.

Op kinds: ``0`` a 2x2 matrix on a local bit where the local control mask ``cm`` is set,
``1`` a diagonal on ``k`` local bits, ``2`` a dense ``2**k`` matrix on ``k`` local bits, ``3`` the
exchange of lane bit ``l`` with local bit ``u`` (a change of which qubits ride in the lanes).

Example:
    >>> import numpy as np
    >>> _deposit(0b101, np.array([1, 4, 7]), 3)  # bits 0, 1, 2 of 5 to positions 1, 4, 7
    130
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from qml.sim._numba_kernels import _gate, _mul2, _rot

_jit = njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")  # entry points
_inline = njit(
    cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy", inline="always"
)  # helpers


@_inline
def _deposit(x, where, k):  # type: ignore[no-untyped-def]
    """The bits of ``x`` placed at positions ``where[0..k-1]`` (bit ``t`` of ``x`` to ``where[t]``)."""
    out = 0
    for t in range(k):
        out |= ((x >> t) & 1) << where[t]
    return out


@_inline
def _insert(k, u):  # type: ignore[no-untyped-def]
    """The ``k``-th integer whose bit ``u`` is 0."""
    return ((k >> u) << (u + 1)) | (k & ((1 << u) - 1))


@_jit
def op_matrices(ea, o_first, o_len, chain, g_tab, g_nf, g_p, g_slots, g_d, g_rot, coefs, freqs, out):  # type: ignore[no-untyped-def]
    """Each op's matrix (flat, row-major) into ``out[o]``: the product of its chain of one-qubit
    entries (applied first to last), or its one multi-qubit entry."""
    sc = np.empty(400, dtype=np.complex128)
    for o in range(o_first.shape[0]):
        first = o_first[o]
        if o_len[o] == 1 and g_d[chain[first]] > 2:
            g = chain[first]
            _gate(g, ea, 0, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, 0, 0, 0, False)
            for x in range(g_d[g] * g_d[g]):
                out[o, x] = sc[x]
            continue
        sc[4] = 1.0
        sc[5] = 0.0
        sc[6] = 0.0
        sc[7] = 1.0
        for i in range(o_len[o]):
            g = chain[first + i]
            if g_rot[g] != 0:
                _rot(ea[0, g_slots[g, 0]], g_rot[g], sc, 0, 0, False)
            else:
                _gate(g, ea, 0, g_tab, g_nf, g_p, g_slots, g_d, coefs, freqs, sc, 0, 0, 0, False)
            _mul2(sc, 0, 4, 4)
        for x in range(4):
            out[o, x] = sc[4 + x]


@_inline
def _spread(k, bits, m):  # type: ignore[no-untyped-def]
    """The ``k``-th local index whose bits at the ``m`` ascending positions ``bits[4..4+m-1]`` are 0."""
    a = k
    for t in range(m):
        a = _insert(a, bits[4 + t])
    return a


@_jit
def _pair(st, base, off, kk, bits, m, cm, mr, mi):  # type: ignore[no-untyped-def]
    """The 2x2 ``(mr, mi)`` on local bit ``bits[0]`` of the blocks whose control bits ``cm`` are set
    (``bits[4..4+m-1]``: the target and control bits, ascending)."""
    nl = st.shape[1] // 2  # the lane count, read at run time so that LLVM vectorises the loops
    a0r, a0i, a1r, a1i = mr[0], mi[0], mr[1], mi[1]
    b0r, b0i, b1r, b1i = mr[2], mi[2], mr[3], mi[3]
    h = 1 << bits[0]
    for k in range(1 << (kk - m)):
        a = _spread(k, bits, m) | cm
        bx = base + off[a]
        by = base + off[a | h]
        for j in range(nl):
            pr = st[bx, j]
            pi = st[bx, nl + j]
            qr = st[by, j]
            qi = st[by, nl + j]
            st[bx, j] = (a0r * pr - a0i * pi) + (a1r * qr - a1i * qi)
            st[bx, nl + j] = (a0r * pi + a0i * pr) + (a1r * qi + a1i * qr)
            st[by, j] = (b0r * pr - b0i * pi) + (b1r * qr - b1i * qi)
            st[by, nl + j] = (b0r * pi + b0i * pr) + (b1r * qi + b1i * qr)


@_jit
def _diag(st, base, off, kk, k, bits, mr, mi):  # type: ignore[no-untyped-def]
    """The diagonal of ``(mr, mi)`` on local bits ``bits[0..k-1]`` (gate order; ascending at
    ``bits[4..]``): one multiply per block, none where the entry is 1."""
    nl = st.shape[1] // 2  # the lane count, read at run time so that LLVM vectorises the loops
    dk = 1 << k
    for d in range(dk):
        dr = mr[d * dk + d]
        di = mi[d * dk + d]
        if dr == 1.0 and di == 0.0:
            continue
        pattern = 0
        for t in range(k):  # the gate's first wire most significant
            if (d >> (k - 1 - t)) & 1:
                pattern |= 1 << bits[t]
        for q in range(1 << (kk - k)):
            bx = base + off[_spread(q, bits, k) | pattern]
            for j in range(nl):
                pr = st[bx, j]
                pi = st[bx, nl + j]
                st[bx, j] = dr * pr - di * pi
                st[bx, nl + j] = dr * pi + di * pr


@_jit
def _dense(st, base, off, kk, k, bits, mr, mi, vr, vi, loc):  # type: ignore[no-untyped-def]
    """``bits[0..k-1]``: the gate's local bits in its wire order; ``bits[4..4+k-1]``: ascending."""
    nl = st.shape[1] // 2  # the lane count, read at run time so that LLVM vectorises the loops
    dk = 1 << k
    for a in range(dk):  # local offset of the gate's basis state a (first wire most significant)
        o = 0
        for t in range(k):
            if (a >> (k - 1 - t)) & 1:
                o |= 1 << bits[t]
        loc[a] = o
    for m in range(1 << (kk - k)):
        a0 = _spread(m, bits, k)
        for c in range(dk):
            x = st[base + off[a0 | loc[c]]]
            for j in range(nl):
                vr[c, j] = x[j]
                vi[c, j] = x[nl + j]
        for r in range(dk):
            x = st[base + off[a0 | loc[r]]]
            for j in range(nl):
                x[j] = 0.0
                x[nl + j] = 0.0
            for c in range(dk):
                er = mr[r * dk + c]
                ei = mi[r * dk + c]
                if er == 0.0 and ei == 0.0:
                    continue
                for j in range(nl):
                    x[j] += er * vr[c, j] - ei * vi[c, j]
                    x[nl + j] += er * vi[c, j] + ei * vr[c, j]


@_jit
def _lane_swap(st, base, off, kk, lane, u):  # type: ignore[no-untyped-def]
    """Exchange lane bit ``lane`` with local bit ``u``: amplitudes (lane 1, u 0) and (lane 0, u 1) swap."""
    m = st.shape[1]  # real and imaginary parts alike: the lane bit is below the parts' bit
    h = 1 << u
    s = np.uint64(1 << lane)
    for k in range(1 << (kk - 1)):
        a = _insert(k, u)
        bx = base + off[a]
        by = base + off[a | h]
        for j in range(m):  # unsigned and affine (j + s): masked vector stores (j ^ s kept it scalar)
            uj = np.uint64(j)
            if (uj & s) == 0:
                t = st[bx, uj + s]
                st[bx, uj + s] = st[by, uj]
                st[by, uj] = t


@_jit
def sweep(c, st, kk, rest, nrest, g0, g1, groups, ops):  # type: ignore[no-untyped-def]
    """Chunk ``c`` of a sweep (blocks ``base + off[a]``, ``base`` = the bits of ``c`` at the block
    positions ``rest``): each group ``g0 <= g < g1`` applies its ops to one sub-chunk after another.

    ``groups``: ``(g_k, g_o0, g_o1, g_off0, offs, g_sub0, subs)``, ``ops``: ``(o_kind, o_k, o_bits,
    o_cm, mr, mi)`` (:attr:`qml.sim.numba_state.Schedule.sweep_arrays`)."""
    g_k, g_o0, g_o1, g_off0, offs, g_sub0, subs = groups
    o_kind, o_k, o_bits, o_cm, mr, mi = ops
    vr = np.empty((8, st.shape[1] // 2), dtype=st.dtype)
    vi = np.empty((8, st.shape[1] // 2), dtype=st.dtype)
    loc = np.empty(8, dtype=np.int64)
    base = _deposit(c, rest, nrest)
    for g in range(g0, g1):
        kg = g_k[g]
        off = offs[g_off0[g] : g_off0[g] + (1 << kg)]
        for q in range(1 << (kk - kg)):
            b = base + subs[g_sub0[g] + q]
            for o in range(g_o0[g], g_o1[g]):
                kind = o_kind[o]
                if kind == 0:
                    _pair(st, b, off, kg, o_bits[o], o_k[o], o_cm[o], mr[o], mi[o])
                elif kind == 1:
                    _diag(st, b, off, kg, o_k[o], o_bits[o], mr[o], mi[o])
                elif kind == 2:
                    _dense(st, b, off, kg, o_k[o], o_bits[o], mr[o], mi[o], vr, vi, loc)
                elif kind == 3:
                    _lane_swap(st, b, off, kg, o_bits[o, 0], o_bits[o, 1])


_parallel = njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy", parallel=True)


@_parallel
def run(st, sweeps, groups, ops):  # type: ignore[no-untyped-def]
    """All sweeps in order, each one's chunks spread over numba's threads (one parallel region per
    sweep). ``sweeps``: ``(sw_kk, sw_rest, sw_nrest, sw_g0, sw_g1)``."""
    sw_kk, sw_rest, sw_nrest, sw_g0, sw_g1 = sweeps
    for s in range(sw_kk.shape[0]):
        for c in prange(1 << sw_nrest[s]):
            sweep(c, st, sw_kk[s], sw_rest[s], sw_nrest[s], sw_g0[s], sw_g1[s], groups, ops)


@_parallel
def deinterleave(st, parts):  # type: ignore[no-untyped-def]
    """Each block in place from (real parts, imaginary parts) to complex pairs, in ``parts`` ranges."""
    nl = st.shape[1] // 2
    nb = st.shape[0]
    for p in prange(parts):
        tmp = np.empty(2 * nl, dtype=st.dtype)
        for b in range(p * nb // parts, (p + 1) * nb // parts):
            for j in range(2 * nl):
                tmp[j] = st[b, j]
            for j in range(nl):
                st[b, 2 * j] = tmp[j]
                st[b, 2 * j + 1] = tmp[nl + j]


@_jit
def permute_blocks(st, lo_table, hi_table, lo_bits):  # type: ignore[no-untyped-def]
    """Blocks in place into the standard order: block ``B`` takes physical block
    ``lo_table[B & mask] | hi_table[B >> lo_bits]`` (cycle by cycle, one spare block)."""
    mask = (1 << lo_bits) - 1
    nb = st.shape[0]
    done = np.zeros(nb, dtype=np.bool_)
    tmp = np.empty(st.shape[1], dtype=st.dtype)
    for b0 in range(nb):
        if done[b0]:
            continue
        src = lo_table[b0 & mask] | hi_table[b0 >> lo_bits]
        if src == b0:
            done[b0] = True
            continue
        tmp[:] = st[b0]
        b = b0
        while True:
            done[b] = True
            src = lo_table[b & mask] | hi_table[b >> lo_bits]
            if src == b0:
                st[b] = tmp
                break
            st[b] = st[src]
            b = src
