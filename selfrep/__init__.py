"""selfrep: populations of self-referential neural networks, held as one (P, W) tensor.

import torch, selfrep as sr
g = torch.Generator().manual_seed(0)
ww = sr.make_reduction("weightwise")                 # the paper's 4-2-2-1 linear net
nets = sr.init_population(ww.arch, 1000, generator=g)  # (1000, 14) float32
applied = sr.self_apply(nets, ww, steps=100)          # 100 self-applications
trained = sr.self_train(nets, ww, 1000, generator=g)  # 1000 Keras-style self-training epochs
sr.count_kinds(sr.classify(trained.weights, ww))      # {'divergent': .., 'non-zero fixpoint': ..}
"""

from selfrep.fixpoints import (
    KIND_LABELS,
    FixpointKind,
    classify,
    count_kinds,
    fixpoint_error,
    is_divergent,
    is_fixpoint,
    is_zero,
)
from selfrep.nets import ACTIVATIONS, Arch, forward, identity_fixpoint, init_population
from selfrep.operators import (
    TrainConfig,
    TrainState,
    add_noise,
    attack,
    fit_pairs,
    learn_from,
    self_apply,
    self_apply_trajectory,
    self_train,
    self_train_trajectory,
    train_init,
    train_step,
)
from selfrep.reductions import REDUCTIONS, Aggregating, Recurrent, Weightwise, make_reduction

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "KIND_LABELS",
    "REDUCTIONS",
    "Aggregating",
    "Arch",
    "FixpointKind",
    "Recurrent",
    "TrainConfig",
    "TrainState",
    "Weightwise",
    "add_noise",
    "attack",
    "classify",
    "count_kinds",
    "fit_pairs",
    "fixpoint_error",
    "forward",
    "identity_fixpoint",
    "init_population",
    "is_divergent",
    "is_fixpoint",
    "is_zero",
    "learn_from",
    "make_reduction",
    "self_apply",
    "self_apply_trajectory",
    "self_train",
    "self_train_trajectory",
    "train_init",
    "train_step",
]
