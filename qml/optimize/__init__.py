"""Variational optimisation: VQE, sweeps with continuation, ADAPT-VQE, state preparation, QNG.

Modules:
    * :mod:`~qml.optimize.vqe`: :func:`vqe`, :func:`vqe_sweep`;
    * :mod:`~qml.optimize.optimizers`: :func:`minimize` with Adam, SGD, L-BFGS (strong
      Wolfe), SPSA, QNG and scipy's COBYLA / BFGS / L-BFGS-B / Nelder-Mead / Powell;
    * :mod:`~qml.optimize.qng`: the Fubini-Study metric and natural-gradient steps;
    * :mod:`~qml.optimize.depth`: ``layers="auto"``, depth grown to a target error;
    * :mod:`~qml.optimize.excited`: excited states, :func:`vqd` and :func:`ssvqe`, sector by sector;
    * :mod:`~qml.optimize.adapt`: :func:`adapt_vqe`;
    * :mod:`~qml.optimize.stateprep`: :func:`prepare_state` (global or local cost);
    * :mod:`~qml.optimize.results`: result records with a JSON round trip.

Example:
    >>> from qml.problems import get_problem
    >>> from qml.optimize import vqe
    >>> r = vqe(get_problem("tfim", n=4, h=0.5), "lbfgs", steps=100)
    >>> r.rel_error < 1e-8
    True
"""

from qml.optimize.adapt import POOLS, adapt_vqe, make_pool, pool_gradients
from qml.optimize.depth import DepthSearch
from qml.optimize.excited import ExcitedResult, excited_ansatz, sector_inputs, ssvqe, vqd
from qml.optimize.optimizers import OPTIMIZERS, Objective, OptimizeResult, minimize
from qml.optimize.qng import fubini_study_metric, natural_gradient, state_jacobian
from qml.optimize.results import AdaptResult, StatePrepResult, SweepResult, VQEResult, load_result, versions
from qml.optimize.stateprep import STATEPREP_OPTIMIZERS, prepare_state
from qml.optimize.vqe import Interrupted, as_problem, vqe, vqe_sweep

__all__ = [
    "OPTIMIZERS",
    "POOLS",
    "STATEPREP_OPTIMIZERS",
    "AdaptResult",
    "DepthSearch",
    "ExcitedResult",
    "Interrupted",
    "Objective",
    "OptimizeResult",
    "StatePrepResult",
    "SweepResult",
    "VQEResult",
    "adapt_vqe",
    "as_problem",
    "excited_ansatz",
    "fubini_study_metric",
    "load_result",
    "make_pool",
    "minimize",
    "natural_gradient",
    "pool_gradients",
    "prepare_state",
    "sector_inputs",
    "ssvqe",
    "state_jacobian",
    "versions",
    "vqd",
    "vqe",
    "vqe_sweep",
]
