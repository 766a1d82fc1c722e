"""Qiskit Aer as a backend: exact, shot-based and noisy (fake-backend calibration) execution.

Every call runs ALL rows of the batch (and, for gradients, all parameter-shifted rows)
in ONE primitive call:

* exact (``shots=None``): Aer ``EstimatorV2`` with precision 0 and one pub
  ``(isa, observables (n_obs,), parameter values (N, 1, K))``;
* ``shots=N``: Aer ``SamplerV2``, one pub per qubit-wise commuting measurement basis,
  each with the whole ``(N, K)`` parameter array, all pubs in one ``run`` call (true
  sampling; ``approximation=True`` instead adds Gaussian noise of width ``1/sqrt(N)``
  to exact values, like Aer's ``EstimatorV2(precision=...)``);
* noisy (``noise="fake_manila"`` or a fake backend object): circuits are transpiled to
  the fake device (``generate_preset_pass_manager(optimization_level=1, backend=...)``),
  observables follow the layout (``apply_layout``), and the noise model is
  ``NoiseModel.from_backend(fake)`` (gate errors, T1/T2, readout). Exact noisy values use
  the density-matrix method; they include gate and relaxation errors but not readout
  errors (an exact expectation value involves no measurement), which only the sampled
  values (``shots=N``) show.

Gradients use the packed parameter-shift rule (:mod:`qml.backends.shift`).

Example:
    >>> from qml.ir import Circuit, W
    >>> b = AerBackend()
    >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    >>> [round(v, 6) for v in b.run(c, ["Z0 Z1", "Z1"], [0.3]).values().tolist()]
    [1.0, 0.955336]
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from qml.backends.base import BaseBackend, Capabilities, Execution
from qml.backends.qiskit_common import CompiledCircuit, compile_slots, fake_backend, map_observables
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum

log = logging.getLogger(__name__)

__all__ = ["AerBackend"]

_METHODS = ("automatic", "statevector", "density_matrix", "matrix_product_state")


class AerBackend(BaseBackend):
    """Run circuits on Qiskit Aer's V2 primitives.

    Args:
        noise: ``None`` (ideal), a fake backend name (``"fake_manila"``, ``"FakeManilaV2"``)
            or a fake backend object: transpile to it and simulate its noise model.
        method: Aer simulation method; ``"automatic"`` picks density-matrix for exact
            noisy values and Aer's choice otherwise.
        approximation: With shots, add Gaussian noise to exact values instead of sampling.
        optimization_level: Transpiler level for a noisy target.
        seed_transpiler: Seed of layout and routing (reproducible layouts).

    Raises:
        ValueError: For an unknown fake backend name (valid names listed) or method.

    Example:
        >>> AerBackend(noise="fake_manila").name
        'aer:noisy:fake_manila'
    """

    def __init__(
        self,
        noise: str | Any | None = None,
        method: str = "automatic",
        approximation: bool = False,
        optimization_level: int = 1,
        seed_transpiler: int | None = 1234,
    ) -> None:
        if method not in _METHODS:
            raise ConfigError(f"method must be one of {_METHODS}, got {method!r}")
        self.target_backend = fake_backend(noise) if isinstance(noise, str) else noise
        self.method = method
        self.approximation = bool(approximation)
        self.optimization_level = optimization_level
        self.seed_transpiler = seed_transpiler
        noisy = self.target_backend is not None
        self.name = f"aer:noisy:{self.target_backend.name}" if self.target_backend is not None else "aer"
        self.capabilities = Capabilities(
            differentiable=False,
            supports_shots=True,
            supports_exact=True,
            max_qubits=int(self.target_backend.num_qubits) if self.target_backend is not None else None,
            batched=True,
            noisy=noisy,
        )
        self._compiled: dict[tuple, CompiledCircuit] = {}
        self._noise_model: Any = None

    # -- compilation ----------------------------------------------------------------
    def compiled(self, circuit: Circuit, basis: dict[int, str] | None = None) -> CompiledCircuit:
        """The (cached) transpiled slot circuit; with ``basis``, rotated and measured."""
        key = (circuit, None if basis is None else tuple(sorted(basis.items())))
        if key not in self._compiled:
            self._compiled[key] = compile_slots(
                circuit,
                self.target_backend,
                self.optimization_level,
                self.seed_transpiler,
                measure=basis is not None,
                basis=basis,
            )
            if len(self._compiled) > 256:
                self._compiled.pop(next(iter(self._compiled)))
        return self._compiled[key]

    def noise_model(self) -> Any:
        """``NoiseModel.from_backend(fake)`` for a noisy backend, else ``None``."""
        if self.target_backend is None:
            return None
        if self._noise_model is None:
            from qiskit_aer.noise import NoiseModel

            self._noise_model = NoiseModel.from_backend(self.target_backend)
        return self._noise_model

    def _simulator(self, method: str, seed: int | None) -> Any:
        from qiskit_aer import AerSimulator

        opts: dict[str, Any] = {"method": method}
        if seed is not None:
            opts["seed_simulator"] = int(seed)
        nm = self.noise_model()
        if nm is not None:
            opts["noise_model"] = nm
        return AerSimulator(**opts)

    # -- execution ------------------------------------------------------------------
    def execute(
        self,
        circuit: Circuit,
        angles: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        purpose: str = "forward",
    ) -> Execution:
        """All rows of ``angles`` in one primitive call (see the module docstring)."""
        rows = np.asarray(angles, dtype=np.float64)
        if shots is None or self.approximation:
            return self._estimate(circuit, rows, observables, shots, seed)
        return self._sample(circuit, rows, observables, shots, seed)

    def _estimate(
        self,
        circuit: Circuit,
        rows: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
    ) -> Execution:
        from qiskit_aer.primitives import EstimatorV2

        cc = self.compiled(circuit)
        obs = map_observables(observables, cc)
        method = self.method
        if method == "automatic" and self.target_backend is not None:
            method = "density_matrix"
        precision = 0.0 if shots is None else 1.0 / float(np.sqrt(shots))
        run_options: dict[str, Any] = {} if seed is None else {"seed_simulator": int(seed)}
        est = EstimatorV2.from_backend(self._simulator(method, seed), options={"run_options": run_options})
        N = rows.shape[0]
        params = cc.parameter_rows(rows)
        pub: tuple[Any, Any, np.ndarray | None, float]
        if params.shape[1]:
            pub = (cc.isa, obs, params.reshape(N, 1, -1), precision)
        else:
            pub = (cc.isa, obs, None, precision)
        res = est.run([pub]).result()[0]
        evs = np.broadcast_to(np.asarray(res.data.evs, dtype=np.float64), (N, len(observables)))
        stds = np.broadcast_to(np.asarray(res.data.stds, dtype=np.float64), (N, len(observables)))
        return Execution(
            np.array(evs), np.array(stds), metadata={"primitive": "aer.EstimatorV2", "precision": precision}
        )

    def _sample(
        self,
        circuit: Circuit,
        rows: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int,
        seed: int | None,
    ) -> Execution:
        from qiskit_aer.primitives import SamplerV2

        from qml.backends.torch_backend import measurement_groups

        N = rows.shape[0]
        groups = measurement_groups(observables)
        pubs = []
        for basis, _ in groups:
            cc = self.compiled(circuit, basis)
            params = cc.parameter_rows(rows)
            pubs.append((cc.isa, params if params.shape[1] else None, int(shots)))
        estimates: dict[Any, np.ndarray] = {}
        if pubs:
            sampler = SamplerV2.from_backend(self._simulator(self.method, seed), seed=seed)
            results = sampler.run(pubs).result()
            for (_, strings), res in zip(groups, results, strict=True):
                bits = res.data.meas.to_bool_array(order="little")  # (N or 1, shots, n_wires)
                bits = np.broadcast_to(bits, (N, *bits.shape[-2:]))
                for s in strings:
                    wires = [w for w, _ in s.ops]
                    parity = bits[..., wires].sum(-1) % 2
                    estimates[s] = (1.0 - 2.0 * parity).mean(-1)
        values = np.zeros((N, len(observables)))
        for j, o in enumerate(observables):
            for c, s in o.terms:
                values[:, j] += c * (1.0 if s.is_identity else estimates[s])
        return Execution(
            values, metadata={"primitive": "aer.SamplerV2", "shots": shots, "bases": len(groups)}
        )
