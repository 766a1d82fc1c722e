"""Hybrid quantum-classical models: quantum layers, hybrid networks, training, conditional circuits.

Modules:
    * :mod:`~qml.models.layer`: :class:`QuantumLayer`, a circuit as a ``torch.nn.Module``;
    * :mod:`~qml.models.hybrid`: ``hybrid_regressor``, ``hybrid_classifier``;
    * :mod:`~qml.models.training`: :func:`fit` (seeded loop, early stopping, resumable checkpoints);
    * :mod:`~qml.models.conditional`: ``lambda -> circuit`` models for Hamiltonian families
      (:class:`MLPConditional`, :class:`EncodedConditional`, :class:`InterpolationBaseline`);
    * :mod:`~qml.models.evaluate`: held-out evaluation against sector-resolved exact references;
    * :mod:`~qml.models.sectors`, :mod:`~qml.models.branches`: family symmetries, the family
      ansatz, sector branches with depth growth; :mod:`~qml.models.family_prediction`: the
      whole prediction study of any family (:func:`predict_family`) with uncertainty and
      baselines; :mod:`~qml.models.family_physics`: observables and transitions across a family;
    * :mod:`~qml.models.datasets`: physics datasets (TFIM phase classification).

Example:
    >>> import torch
    >>> from qml.models import QuantumLayer
    >>> from qml.ir import Circuit, W
    >>> layer = QuantumLayer(Circuit(1).add("RY", 0, W(0)), "Z0", weight_init="zeros")
    >>> layer().tolist()
    [1.0]
"""

from qml.models.branches import BranchFit, SectorModel, fit_branch
from qml.models.conditional import (
    ConditionalHistory,
    ConditionalModel,
    EncodedConditional,
    HamiltonianFamily,
    InterpolationBaseline,
    MLPConditional,
    PerPointResult,
    Prediction,
    bind_inputs,
    encode_ansatz,
    metavqe_circuit,
    per_point_vqe,
    sector_branches,
    u1_circuit,
)
from qml.models.datasets import EXACT_FEATURES, SHOT_FEATURES, PhaseDataset, tfim_phase_dataset
from qml.models.evaluate import EvaluationResult, default_observables, evaluate, plot_evaluation
from qml.models.family_prediction import FamilyPredictionResult, predict_family
from qml.models.hybrid import AngleScaling, hybrid_circuit, hybrid_classifier, hybrid_regressor
from qml.models.layer import Backend, QuantumLayer, complex_dtype
from qml.models.sectors import SectorScan, family_ansatz, scan_sectors
from qml.models.training import History, accuracy, fit, load_checkpoint, predict

__all__ = [
    "EXACT_FEATURES",
    "SHOT_FEATURES",
    "AngleScaling",
    "Backend",
    "BranchFit",
    "ConditionalHistory",
    "ConditionalModel",
    "EncodedConditional",
    "EvaluationResult",
    "FamilyPredictionResult",
    "HamiltonianFamily",
    "History",
    "InterpolationBaseline",
    "MLPConditional",
    "PerPointResult",
    "PhaseDataset",
    "Prediction",
    "QuantumLayer",
    "SectorModel",
    "SectorScan",
    "accuracy",
    "bind_inputs",
    "complex_dtype",
    "default_observables",
    "encode_ansatz",
    "evaluate",
    "family_ansatz",
    "fit",
    "fit_branch",
    "hybrid_circuit",
    "hybrid_classifier",
    "hybrid_regressor",
    "load_checkpoint",
    "metavqe_circuit",
    "per_point_vqe",
    "plot_evaluation",
    "predict",
    "predict_family",
    "scan_sectors",
    "sector_branches",
    "tfim_phase_dataset",
    "u1_circuit",
]
