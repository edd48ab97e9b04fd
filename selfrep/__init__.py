"""selfrep: populations of self-referential neural networks, held as one (P, W) tensor.

import torch, selfrep as sr
g = torch.Generator().manual_seed(0)
ww = sr.make_reduction("weightwise")                 # the paper's 4-2-2-1 linear net
nets = sr.init_population(ww.arch, 1000, generator=g)  # (1000, 14) float32
applied = sr.self_apply(nets, ww, steps=100)          # 100 self-applications
trained = sr.self_train(nets, ww, 1000, generator=g)  # 1000 Keras-style self-training epochs
sr.count_kinds(sr.classify(trained.weights, ww))      # {'divergent': .., 'non-zero fixpoint': ..}
"""

import os as _os
from pathlib import Path as _Path

# `selfrep run` executes chapters in a Jupyter kernel and sets SELFREP_EXPECT_PACKAGE to the package whose
# sources its cache key hashed (and puts that package first on PYTHONPATH). A kernel that nevertheless
# imports another copy (another checkout, an installed wheel) would compute numbers under the wrong key:
# that is an error, not a silent mismatch.
_expect = _os.environ.get("SELFREP_EXPECT_PACKAGE")
if _expect and _Path(_expect).resolve() != _Path(__file__).resolve().parent:
    raise ImportError(
        f"selfrep: imported from {_Path(__file__).resolve().parent}, but this run's cache key describes "
        f"the selfrep in {_expect} (SELFREP_EXPECT_PACKAGE); run the chapter with the interpreter and "
        "checkout that `selfrep run` uses"
    )
del _expect

from selfrep.fixpoints import (  # noqa: E402
    KIND_LABELS,
    FixpointKind,
    classify,
    count_kinds,
    fixpoint_error,
    is_divergent,
    is_fixpoint,
    is_zero,
)
from selfrep.nets import ACTIVATIONS, Arch, forward, identity_fixpoint, init_population  # noqa: E402
from selfrep.operators import add_noise, attack, self_apply, self_apply_trajectory  # noqa: E402
from selfrep.optim import TrainConfig, TrainState, train_init  # noqa: E402
from selfrep.reductions import REDUCTIONS, Aggregating, Recurrent, Weightwise, make_reduction  # noqa: E402
from selfrep.training import fit_pairs, learn_from, self_train, self_train_trajectory, train_step  # noqa: E402

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
