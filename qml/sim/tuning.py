"""The constants of the statevector engine's cost models and kernel switches, per device kind.

Every number that decides a route or a kernel (``Simulator(methods="auto")``, the Python
backward passes that replace autograd's above some size) lives here, with where it was
measured (:data:`MEASURED`). They were fitted on CPUs (2-core KVM guests, torch 2.13,
benchmarks/NOTES.md); no CUDA machine has been available yet, so :data:`TUNING` ``["cuda"]``
holds the CPU values, marked as not measured there (``Simulator.explain`` says so for a
CUDA route), and the NumPy tail is CPU-only by construction.

Tests and experiments that need another value replace the entry for their device kind::

    monkeypatch.setitem(TUNING, "cpu", dataclasses.replace(TUNING["cpu"], split_collapse_rows=5))

Example:
    >>> tuning("cpu").numpy_tail_max_wires
    5
    >>> tuning("cuda:0").measured
    False
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["MEASURED", "TUNING", "Tuning", "tuning"]


@dataclass(frozen=True)
class Tuning:
    """Cost-model constants and kernel thresholds for one device kind.

    Attributes:
        measured: Whether these values were measured on this device kind.
        collapse_matmul_cost: The collapsed tail's ``B x 2**n x 2**n`` product costs
            ``2**n / collapse_matmul_cost`` per row in units of a pass over a state
            (:func:`qml.sim.collapse.pays`).
        collapse_margin: The collapsed tail must cost below this share of the step-by-step tail.
        split_weight: The two-register split's unit of work counts this many dense ones
            (:func:`qml.sim.split.pays`).
        split_pays_work: ... and must save at least this much work per call.
        split_min_wires: Registers narrower than this do not split.
        split_gram_weight: Batched products of tiny matrices (the split's Gram measurement)
            count this many units each.
        split_collapse_rows: A split register collapses into one map when the batch has this
            many times its basis states.
        numpy_tail_max_wires: Widest register of the NumPy shared tail under ``"auto"``.
        numpy_state_max_wires: Widest single circuit run in NumPy with its adjoint under ``"auto"``.
        numba_rows_max_wires: Widest single circuit (one row of angles) run in compiled loops
            under ``"auto"`` (:mod:`qml.sim.numba_rows`, with numba installed).
        numba_rows_batch_max_wires: ... and widest batch of rows.
        numba_rows_min_input_share: A batch that shares its weights takes the compiled rows
            only if the gates up to the last input-reading one are at least this share of the
            circuit (data re-uploading; after an encoding read once, the shared gates collapse
            or split, :mod:`qml.sim.collapse`, :mod:`qml.sim.split`, which is faster).
        numba_rows_small_batch: A batch of at most this many rows takes the compiled rows
            whatever its input share (the batched routes' fixed cost is not earned back).
        numba_rows_thread_amplitudes: A batch of rows holding this many amplitudes or more is
            split over torch's thread count.
        numba_rows_lane_rows: A batch of at least this many rows runs them side by side, 8 at a
            time (vector passes over the rows); fewer rows run one by one.
        numba_state_min_wires: Narrowest single circuit whose state (no gradient) is computed in
            compiled sweeps under ``"auto"`` (:mod:`qml.sim.numba_state`, with numba installed).
        numba_state_lane_bits: Qubits held in the lanes of a block (``2**lane_bits`` amplitudes).
        numba_state_chunk_bits: A sweep's chunk holds at most ``2**chunk_bits`` blocks (and there
            are at least two chunks a core): the qubits a sweep can reach, in the L3 cache.
        numba_state_run_bits: Lowest block bits local to every sweep (chunks of adjacent blocks).
        numba_state_group_bytes: Consecutive ops of a sweep run together on sub-chunks of at most
            this many bytes (in the L1 cache), each op once over a sub-chunk.
        numpy_mm_max: Largest ``m * n * k`` product the NumPy tail leaves to NumPy.
        squares_at_min: From this many entries on, ``|psi|^2 @ D`` takes its Python backward.
        max_block_inputs: Widest fused block of gates that read inputs (a matrix per batch row;
            :mod:`qml.sim.fusion`); read from the CPU row, since fusion is device-independent.
        plan_vjp_min: From this many state entries on, observables with flipped wires take the
            one-``apply`` backward (:mod:`qml.sim.observables`).
        permute_min: From this many entries on, a gather's backward is the inverse gather.
        kron_min: From this many output entries on, the product state's backward is the
            hand-written one.
        observable_cache_bytes: Diagonals of an observable plan are cached up to this size.
    """

    measured: bool = True
    collapse_matmul_cost: float = 3.5
    collapse_margin: float = 0.9
    split_weight: float = 2.0
    split_pays_work: int = 2**20
    split_min_wires: int = 8
    split_gram_weight: float = 4.0
    split_collapse_rows: int = 4
    numpy_tail_max_wires: int = 5
    numpy_state_max_wires: int = 10
    numba_rows_max_wires: int = 14
    numba_rows_batch_max_wires: int = 11
    numba_rows_min_input_share: float = 0.5
    numba_rows_small_batch: int = 128
    numba_rows_thread_amplitudes: int = 2**12
    numba_rows_lane_rows: int = 4
    numba_state_min_wires: int = 12
    numba_state_lane_bits: int = 6
    numba_state_chunk_bits: int = 13
    numba_state_run_bits: int = 3
    numba_state_group_bytes: int = 2**15
    numpy_mm_max: int = 2**15
    squares_at_min: int = 2**16
    plan_vjp_min: int = 0
    max_block_inputs: int = 2
    permute_min: int = 2**17
    kron_min: int = 2**16
    observable_cache_bytes: int = 512 * 2**20


#: Where each constant was measured (benchmarks/NOTES.md sections; 2-core CPU, torch 2.13).
MEASURED: dict[str, str] = {
    "collapse_matmul_cost": "W1 n = 4-8, B = 256-1024, L = 2-6: third pass, 'shared tail as one matrix'",
    "collapse_margin": "the same fit (third pass)",
    "split_weight": "18 in-process A/Bs, n = 8-12, L = 1-8, B = 64-1024: fifth pass, 'When it is taken'",
    "split_pays_work": "the same A/Bs (fifth pass)",
    "split_min_wires": "the same A/Bs: below 8 wires the dense small-register code is faster",
    "split_gram_weight": "sixth pass: batched products of tiny matrices run far below the other steps",
    "split_collapse_rows": "sixth pass: registers as maps",
    "numpy_tail_max_wires": "W1 n = 3-8: 1.4-2.3x faster up to 5 qubits, 0.3-0.9x from 6 "
    "('Does the NumPy tail earn its 800 lines?')",
    "numpy_state_max_wires": "TFIM HEA energy + gradient, n/L = 4/2, 6/3, 8/4, 10/5, 12/6, 14/6 "
    "(7 alternated rounds, 2 threads, quiet): NumPy 0.28, 0.35, 0.47, 1.02, 2.34, 5.19 ms against "
    "torch 0.85, 1.17, 1.32, 1.88, 2.33, 5.20: faster up to 10 qubits, equal from 12",
    "numba_rows_max_wires": "with the rows as planes (stop 34): TFIM HEA energy + gradient, one circuit, "
    "rows / full state (2 threads, 7-9 rounds): complex128 0.42 (n/L = 12/6, 13/6), 0.50-0.63 (14/7), "
    "0.60-0.72 (15/7); complex64 (rows still in complex128) 0.43, 0.46, 0.82, 0.96; at 16/8 bench_peers "
    "gives rows 19-20 ms against the full state's 18-24 ms (complex128) and 13 ms (complex64)",
    "numba_rows_batch_max_wires": "with lanes (stop 34): re-uploading HEA L = 4, B = 64/512, rows / best "
    "other route's step (2 threads, 9 alternated rounds): 0.27/0.20 (n = 8), 0.25/0.43 (9), 0.56/0.56 (10), "
    "0.87/0.64 (11), 1.13/0.53 (12)",
    "numba_rows_min_input_share": "re-uploading circuits (share ~0.8) 0.41-0.92 of the best other route, "
    "encode-once ones (share <= 0.1) up to 3.1x slower than the collapsed tail or the split at B = 512",
    "numba_rows_small_batch": "with lanes (stop 34): encode-once HEA L = 4, rows / collapsed or full-state "
    "step (2 threads, 9 alternated rounds), n = 4/6/8: 0.61/0.41/0.42 at B = 64, 0.89/0.64/0.54 at 128, "
    "1.02/0.60/0.64 at 192, 1.12/0.67/0.62 at 256, 1.34/1.03/1.03 at 512; n = 10: 0.96 at 64, 1.20 at 128",
    "numba_rows_thread_amplitudes": "re-uploading n = 4/6/8, B = 512: two threads 2.3/4.1/11.8 ms against "
    "one 3.0/6.8/22.0; n = 4, B = 64 (2**10 amplitudes) equal",
    "numba_rows_lane_rows": "re-uploading HEA L = 4, kernels alone (1 thread, median of 21), lanes against "
    "rows, forward / backward: B = 1 0.7-1.5x slower (n = 2-10), B = 3 equal, B = 5 1.0-1.3x faster, "
    "B = 8-512 1.4-2.7x / 1.3-3.2x faster (n = 2-8)",
    "numba_state_min_wires": "random 10-layer RX/RY/RZ + CNOT/CZ brick circuits, n = 10-22 (interleaved with "
    "the torch full state, 2 threads): 0.32-0.49x of its time from n = 10 (complex64 and complex128)",
    "numba_state_lane_bits": "the same circuits, n = 20/22: 16/32/64/128 lanes 33/24/20/- and "
    "-/182/135/138 ms (complex64); a 2x2 pass 0.19/0.12/0.11 ns per amplitude at 16/32/64 lanes; with "
    "groups (stop 35), 128 lanes / 64: 0.84-0.94 for complex64 at n = 18-24, but 1.1-1.9 at n = 12-16 and "
    "0.89-1.09 for complex128",
    "numba_state_chunk_bits": "with groups (stop 35), the same circuits complex64: 2**11-2**12 blocks "
    "12.4-13.0 ms at n = 20; at n = 22 2**12/2**13/2**14 blocks 67-72/62.6-64.4/69.7-71.8 ms (complex128 "
    "2**12/2**13: 119-128/113 ms); before groups 128K-4M chunks were within 10%",
    "numba_state_run_bits": "with groups, n = 22 complex64 2**13 blocks: 3 bits 62.6-64.4 ms, 1 bit 71.6 ms; "
    "n = 20 within 3%",
    "numba_state_group_bytes": "n = 22 complex64, 2**13-block chunks: groups over 2**5/2**6/2**7 blocks "
    "(16/32/64 KB) 62.6/63.2/67.5 ms, without groups 76 ms; a 2x2 pass 0.087 ns per amplitude in the L1 "
    "cache against 0.119 in the L2 (one thread)",
    "numpy_mm_max": "OpenBLAS threads spin against torch's above it (fourth pass)",
    "squares_at_min": "84 vs 131 us at 256 x 32, 2.2 vs 1.5 ms at 1024 x 512 (fourth pass)",
    "plan_vjp_min": "always: 0.91-0.95x of autograd's step, TFIM HEA n = 4-16 B = 1 and n = 6-8 B = 64-256 "
    "(in-process A/B, 7 alternated rounds, 2 threads)",
    "max_block_inputs": "re-uploading HEA L = 4, n = 4/6/8, B = 64/512 (in-process, 5 alternated "
    "rounds, 2 threads): width 2 against 4: 1.7/6.5, 2.3/10.2, 5.1/26.9 ms against 3.3/17.3, "
    "3.4/17.4, 6.2/30.6; width 3 between, width 1 slower",
    "permute_min": "complex128: equal at 2^16 entries, the inverse gather 5-7 % faster from 2^17",
    "kron_min": "complex128: 1.2x at 256 x 2^8, 1.5-1.9x at 1024 x 2^8, equal at 2^14",
    "observable_cache_bytes": "a memory bound, not a speed fit",
}

#: The table per device kind (``torch.device(...).type``); other kinds use the CPU values.
TUNING: dict[str, Tuning] = {"cpu": Tuning(), "cuda": Tuning(measured=False)}


def tuning(device: str | torch.device) -> Tuning:
    """The constants for ``device`` (``"cpu"``, ``"cuda:0"``, a ``torch.device``).

    Example:
        >>> tuning(torch.device("cpu")).split_min_wires
        8
    """
    kind = device.type if isinstance(device, torch.device) else torch.device(device).type
    return TUNING.get(kind, TUNING["cpu"])
