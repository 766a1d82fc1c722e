"""Circuit metrics: resource counts, expressibility and entangling capability (Sim et al. 2019).

States are computed with the fast simulator ``qml.sim.simulator.state`` when it can be
imported, else with the dense reference :func:`qml.reference.dense_state` (slow; fine
for the few-qubit circuits these metrics are usually applied to). Pass ``backend`` to force one.

Example:
    >>> from qml.templates.layers import hardware_efficient
    >>> m = circuit_metrics(hardware_efficient(3, 2))
    >>> m["n_weights"], m["n_two_qubit"], m["depth"]
    (18, 4, 10)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qml.errors import CircuitError
from qml.ir import Circuit
from qml.reference import dense_state
from qml.templates._common import check_int, choices

#: State backends accepted by the sampling metrics.
BACKENDS: tuple[str, ...] = ("auto", "simulator", "dense")


def circuit_metrics(circuit: Circuit) -> dict[str, Any]:
    """Resource counts of a circuit.

    Returns a dict with:

    * ``n_wires``, ``n_ops``, ``n_weights`` (trainable parameters), ``n_inputs``;
    * ``n_params``: gate-angle slots (a weight used twice counts twice);
    * ``n_trainable_ops``: ops whose angles depend on a weight;
    * ``depth``: layers of gates on disjoint wires;
    * ``n_single_qubit``, ``n_two_qubit`` (ops on exactly two wires, e.g. ``CNOT``,
      ``RZZ``, ``SingleExcitation``), ``n_multi_qubit`` (three or more wires, e.g.
      ``Toffoli``, ``DoubleExcitation``);
    * ``entangling_depth``: depth counting only ops on two or more wires;
    * ``gate_counts``: ``{gate name: count}``.

    ``hardware_efficient(2, 1)``::

        0: ─RY─RZ─●─RY─RZ─
        1: ─RY─RZ─X─RY─RZ─

    Args:
        circuit: The circuit.

    Returns:
        The metrics dict.

    Raises:
        ValueError: If ``circuit`` is not a Circuit.

    Example:
        >>> from qml.templates.layers import hardware_efficient
        >>> circuit_metrics(hardware_efficient(2, 1))["gate_counts"]
        {'RY': 4, 'RZ': 4, 'CNOT': 1}
    """
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"expected a qml Circuit, got {type(circuit).__name__}")
    level = [0] * circuit.n_wires
    for op in circuit.ops:
        if len(op.wires) >= 2:
            d = max(level[w] for w in op.wires) + 1
            for w in op.wires:
                level[w] = d
    return {
        "n_wires": circuit.n_wires,
        "n_ops": len(circuit.ops),
        "n_weights": circuit.n_weights,
        "n_inputs": circuit.n_inputs,
        "n_params": circuit.n_params,
        "n_trainable_ops": sum(1 for op in circuit.ops if any(p.refs("w") for p in op.params)),
        "depth": circuit.depth(),
        "n_single_qubit": sum(1 for op in circuit.ops if len(op.wires) == 1),
        "n_two_qubit": sum(1 for op in circuit.ops if len(op.wires) == 2),
        "n_multi_qubit": sum(1 for op in circuit.ops if len(op.wires) >= 3),
        "entangling_depth": max(level, default=0),
        "gate_counts": circuit.count(),
    }


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise CircuitError(f"unknown backend {backend!r}; expected one of {choices(BACKENDS)}")
    if backend == "auto":
        try:
            from qml.sim.simulator import state  # noqa: F401
        except ImportError:
            return "dense"
        return "simulator"
    return backend


def _states(circuit: Circuit, weights: np.ndarray, inputs: np.ndarray, backend: str) -> np.ndarray:
    """States for a batch of weight rows ``(B, P)`` and input rows ``(B, I)``: ``(B, 2^n)`` complex."""
    batch = weights.shape[0]
    if circuit.n_weights == 0 and circuit.n_inputs == 0:
        one = dense_state(circuit)
        return np.tile(one, (batch, 1))
    if backend == "simulator":
        import torch

        from qml.sim.simulator import state

        with torch.no_grad():
            w = torch.as_tensor(weights, dtype=torch.float64) if circuit.n_weights else None
            x = torch.as_tensor(inputs, dtype=torch.float64) if circuit.n_inputs else None
            psi = state(circuit, w, x)
        out = psi.detach().cpu().numpy().astype(complex)
        return out.reshape(batch, -1) if out.ndim == 2 else np.tile(out, (batch, 1))
    return np.stack([dense_state(circuit, weights[b], inputs[b]) for b in range(batch)])


def _sample_states(
    circuit: Circuit,
    n_states: int,
    rng: np.random.Generator,
    inputs: Any,
    low: float,
    high: float,
    backend: str,
) -> np.ndarray:
    w = rng.uniform(low, high, size=(n_states, circuit.n_weights))
    if circuit.n_inputs and inputs is not None:
        x0 = np.asarray(inputs, dtype=float).reshape(-1)
        if x0.shape[0] != circuit.n_inputs:
            raise CircuitError(
                f"inputs must have {circuit.n_inputs} entries for this circuit, got {x0.shape[0]}"
            )
        x = np.tile(x0, (n_states, 1))
    else:
        x = rng.uniform(low, high, size=(n_states, circuit.n_inputs))
    return _states(circuit, w, x, backend)


def haar_fidelity_bins(n_wires: int, n_bins: int = 75) -> np.ndarray:
    """Haar-random fidelity distribution ``P(F) = (N-1)(1-F)^(N-2)`` integrated over equal bins of [0, 1].

    Bin ``k`` gets ``(1 - F_k)^(N-1) - (1 - F_{k+1})^(N-1)``, ``N = 2^n_wires``; computed in log
    space so that it does not underflow to 0 for many qubits. Returns the natural logs.
    A circuit with no gates (``Circuit(2)``, fidelity always 1) puts all its mass in the
    last bin, which has the smallest Haar weight::

        0: ─
        1: ─

    Example:
        >>> float(np.exp(haar_fidelity_bins(1, 2)).sum())
        1.0
    """
    dim = 2**n_wires
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    with np.errstate(divide="ignore"):
        log_tail = (dim - 1) * np.log1p(-edges)  # log (1 - F)^(N-1); -inf at F = 1
    ratio = np.exp(log_tail[1:] - log_tail[:-1])  # in [0, 1)
    return log_tail[:-1] + np.log1p(-ratio)


def expressibility(
    circuit: Circuit,
    n_pairs: int = 1000,
    n_bins: int = 75,
    seed: int = 0,
    inputs: Any = None,
    low: float = 0.0,
    high: float = 2 * np.pi,
    backend: str = "auto",
) -> float:
    """Expressibility (Sim, Johnson, Aspuru-Guzik 2019): ``KL(P_circuit(F) || P_Haar(F))``.

    Draws ``n_pairs`` pairs of parameter vectors uniformly in ``[low, high)`` (seeded),
    computes the fidelities ``F = |<psi(a)|psi(b)>|^2``, histograms them in ``n_bins``
    equal bins of [0, 1] and returns the Kullback-Leibler divergence (natural log) to the
    Haar distribution ``P(F) = (N-1)(1-F)^(N-2)``, ``N = 2^n``. Lower is more expressive;
    a circuit that always gives the same state scores the maximum ``(N-1) ln(n_bins)``.
    Input features are sampled like the weights unless fixed ``inputs`` are given.
    The estimate has a positive bias of roughly ``n_bins / (2 n_pairs)``.

    ``hardware_efficient(2, 1)``::

        0: ─RY─RZ─●─RY─RZ─
        1: ─RY─RZ─X─RY─RZ─

    Args:
        circuit: The circuit.
        n_pairs: Number of sampled state pairs (at least 1).
        n_bins: Number of histogram bins (Sim et al. use 75).
        seed: Seed of the parameter sampling.
        inputs: Fixed input features (default: sampled too).
        low: Lower end of the sampling range.
        high: Upper end of the sampling range.
        backend: ``"auto"``, ``"simulator"`` or ``"dense"``.

    Returns:
        The KL divergence (a float >= 0).

    Raises:
        ValueError: For bad sizes, an unknown backend or inputs of the wrong length.

    Example:
        >>> from qml.ir import Circuit
        >>> round(expressibility(Circuit(1), n_pairs=10) / float(np.log(75)), 6)  # idle: (N - 1) ln 75
        1.0
    """
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"expected a qml Circuit, got {type(circuit).__name__}")
    n_p = check_int("n_pairs", n_pairs, 1)
    nb = check_int("n_bins", n_bins, 2)
    be = _check_backend(backend)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    psi = _sample_states(circuit, 2 * n_p, rng, inputs, low, high, be)
    a, b = psi[:n_p], psi[n_p:]
    fid = np.clip(np.abs(np.einsum("bi,bi->b", a.conj(), b)) ** 2, 0.0, 1.0)
    counts, _ = np.histogram(fid, bins=nb, range=(0.0, 1.0))
    p = counts / n_p
    log_q = haar_fidelity_bins(circuit.n_wires, nb)
    mask = p > 0
    return float(np.sum(p[mask] * (np.log(p[mask]) - log_q[mask])))


def meyer_wallach(states: Any) -> np.ndarray | float:
    """Meyer-Wallach entanglement ``Q = 2 (1 - (1/n) sum_k Tr rho_k^2)`` of pure states.

    The Bell state of this circuit has ``Q = 1``::

        0: ─H─●─
        1: ───X─

    Args:
        states: One state ``(2^n,)`` or a batch ``(B, 2^n)`` (NumPy or torch).

    Returns:
        ``Q`` in [0, 1]: a float for one state, an array for a batch. 0 for product
        states and for one qubit, 1 for GHZ states.

    Raises:
        ValueError: If the length is not a power of two.

    Example:
        >>> round(meyer_wallach(np.array([1, 0, 0, 1]) / np.sqrt(2)), 12)
        1.0
    """
    psi = np.asarray(states.detach().cpu() if hasattr(states, "detach") else states, dtype=complex)
    single = psi.ndim == 1
    psi = psi.reshape(1, -1) if single else psi
    dim = psi.shape[-1]
    if psi.ndim != 2 or dim < 2 or dim & (dim - 1):
        raise CircuitError(f"states must have shape (2^n,) or (B, 2^n), got {np.shape(states)}")
    n = dim.bit_length() - 1
    t = psi.reshape((psi.shape[0],) + (2,) * n)
    purity = np.zeros(psi.shape[0])
    for k in range(n):
        m = np.moveaxis(t, 1 + k, 1).reshape(psi.shape[0], 2, -1)
        rho = np.einsum("bij,bkj->bik", m, m.conj())
        purity += np.einsum("bik,bik->b", rho, rho.conj()).real
    q = np.clip(2.0 * (1.0 - purity / n), 0.0, 1.0)
    return float(q[0]) if single else q


def entangling_capability(
    circuit: Circuit,
    n_samples: int = 500,
    seed: int = 0,
    inputs: Any = None,
    low: float = 0.0,
    high: float = 2 * np.pi,
    backend: str = "auto",
) -> float:
    """Entangling capability (Sim et al. 2019): the Meyer-Wallach ``Q`` averaged over random parameters.

    Parameters (and inputs, unless fixed ``inputs`` are given) are drawn uniformly in
    ``[low, high)`` with ``seed``; the result is the mean of :func:`meyer_wallach` over
    ``n_samples`` states: 0 for circuits that only make product states, 1 for GHZ-like ones.

    GHZ preparation (``Q = 1``)::

        0: ─H─●───
        1: ───X─●─
        2: ─────X─

    Args:
        circuit: The circuit.
        n_samples: Number of sampled parameter vectors (at least 1).
        seed: Seed of the sampling.
        inputs: Fixed input features (default: sampled too).
        low: Lower end of the sampling range.
        high: Upper end of the sampling range.
        backend: ``"auto"``, ``"simulator"`` or ``"dense"``.

    Returns:
        The mean ``Q`` in [0, 1].

    Raises:
        ValueError: For bad sizes, an unknown backend or inputs of the wrong length.

    Example:
        >>> from qml.ir import Circuit
        >>> entangling_capability(Circuit(3).add("H", 0).add("CNOT", (0, 1)).add("CNOT", (1, 2)))
        1.0
    """
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"expected a qml Circuit, got {type(circuit).__name__}")
    ns = check_int("n_samples", n_samples, 1)
    be = _check_backend(backend)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    psi = _sample_states(circuit, ns, rng, inputs, low, high, be)
    return float(np.mean(meyer_wallach(psi)))


__all__ = [
    "BACKENDS",
    "circuit_metrics",
    "entangling_capability",
    "expressibility",
    "haar_fidelity_bins",
    "meyer_wallach",
]
