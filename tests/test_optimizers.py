"""One factory for torch optimisers (qml.optimize.optimizers.torch_optimizer) and its defaults."""

from __future__ import annotations

import pytest
import torch

from qml.optimize.optimizers import DEFAULT_LR, TORCH_OPTIMIZER_CLASSES, torch_optimizer


def test_lbfgs_defaults_and_overrides():
    p = torch.zeros(2, requires_grad=True)
    opt = torch_optimizer("lbfgs", [p], steps=40)
    d = opt.defaults
    assert isinstance(opt, torch.optim.LBFGS)
    assert (d["lr"], d["max_iter"], d["max_eval"]) == (1.0, 40, 100)
    assert (d["tolerance_grad"], d["tolerance_change"], d["history_size"]) == (1e-10, 1e-15, 100)
    assert d["line_search_fn"] == "strong_wolfe"
    d = torch_optimizer("lbfgs", [p], 0.5, 40, 1e-12, history_size=10).defaults
    assert (d["lr"], d["tolerance_grad"], d["history_size"]) == (0.5, 1e-12, 10)


@pytest.mark.parametrize("name", [n for n in TORCH_OPTIMIZER_CLASSES if n != "lbfgs"])
def test_first_order_methods_take_the_default_rates(name):
    p = torch.zeros(2, requires_grad=True)
    opt = torch_optimizer(name, [p])
    assert isinstance(opt, TORCH_OPTIMIZER_CLASSES[name])
    assert opt.defaults["lr"] == DEFAULT_LR.get(name, DEFAULT_LR["adam"])
    assert torch_optimizer("sgd", [p], 0.1, momentum=0.9).defaults["momentum"] == 0.9


def test_lbfgs_minimises_a_quadratic():
    p = torch.tensor([3.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer("lbfgs", [p], steps=50)

    def closure():
        opt.zero_grad()
        loss = ((p - torch.tensor([1.0, 0.5], dtype=torch.float64)) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert torch.allclose(p.detach(), torch.tensor([1.0, 0.5], dtype=torch.float64), atol=1e-8)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown torch optimiser 'rmsprop'; valid: adam, adamw, sgd, lbfgs"):
        torch_optimizer("rmsprop", [torch.zeros(1, requires_grad=True)])
