"""The authors' own logged numbers, as reference data with provenance.

These are data, not results of ours: they were read from the run logs the authors committed to their
repository (illiumst/self-replicating-neural-networks) and are transcribed in the project's experiment
specification (paper-spec §3–§7). Chapters put them beside the numbers they compute; prose never types them.

Conventions of the logged runs (paper-spec §2): the master-branch Keras code, linear nets without bias,
glorot initialisation, ε = 1e-4 with a strict `<` for the fixpoint test, classification order
divergent → fixpoint (zero / other) → second-order → other. Counts are per population of `n` networks.

A `Logged` entry holds a mapping from a label (an outcome, or a noise level) to a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

MASTER = "illiumst/self-replicating-neural-networks@master (0c9b036)"


@dataclass(frozen=True)
class Logged:
    """One logged result of the authors' code.

    Attributes:
        key: stable name used by the chapters.
        what: what was measured, in words.
        values: label -> number (counts, fractions or means, as logged).
        n: networks (or copies per level) behind each number, where it applies.
        eps: the ε the logged run used.
        source: file in the authors' repository (commit:path).
        note: anything needed to read the numbers correctly.
    """

    key: str
    what: str
    values: Mapping[str, float]
    n: int | None
    eps: float | None
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))


# Outcome labels follow selfrep.fixpoints.KIND_LABELS.
_DIV, _ZERO, _NONZERO, _SEC, _OTHER = (
    "divergent",
    "zero fixpoint",
    "non-zero fixpoint",
    "second-order fixpoint",
    "other",
)

# Noise levels of Fig 3 (the log's labels "10e-d" mean 10^-d).
NOISE_LEVELS: tuple[float, ...] = tuple(10.0**-k for k in range(10))


def _levels(values: list[float]) -> dict[str, float]:
    return {f"{z:.0e}": v for z, v in zip(NOISE_LEVELS, values, strict=True)}


# Chapters 3-5 (paper-spec §8.2, §9, §10). Lists run over the x-axis values named in `what`.
_FIG8_IMAGE = "cf6eec6:results_new/basin_3570597918/clone_status_after_countplot_3570597918.png"
_FIG8_LEVELS = tuple(10.0**-k for k in range(1, 11))
_MIXED = "master:code/results/exp-mixed-self-fixpoints-_1552666977.5858653-0/log.txt"
_SOUP = "master:code/results/exp-mixed-soup-_1552674483.9866457-0/log.txt"


def _xs(xs, values: list[float]) -> dict[str, float]:
    return {str(x): v for x, v in zip(xs, values, strict=True)}


def _fig8(values: list[int]) -> dict[str, float]:
    return {f"{z:.0e}": v for z, v in zip(_FIG8_LEVELS, values, strict=True)}


MIXED_TRAINS: tuple[int, ...] = tuple(range(0, 501, 50))  # Fig 11's x-axis (self-training epochs)
SOUP_TRAINS: tuple[int, ...] = tuple(range(0, 101, 10))  # Fig 13's x-axis (A)

_CHAPTERS_3_5: list[Logged] = [
    Logged(
        "fig8_approaching",
        "Fig 8: clones ending closer to their parent, per noise level 1e-1 ... 1e-10",
        _fig8([40, 40, 50, 50, 48, 31, 27, 27, 0, 0]),
        None,
        1e-5,
        _FIG8_IMAGE,
        "read off the committed count plot; 4-5 parents x 10 clones per level (40-50 clones)",
    ),
    Logged(
        "fig8_distancing",
        "Fig 8: clones ending farther from their parent, per noise level",
        _fig8([0, 0, 0, 0, 2, 18, 19, 10, 40, 30]),
        None,
        1e-5,
        _FIG8_IMAGE,
        "read off the committed count plot",
    ),
    Logged(
        "fig8_stationary",
        "Fig 8: clones ending exactly as far from their parent, per noise level",
        _fig8([0, 0, 0, 0, 0, 1, 4, 13, 10, 10]),
        None,
        1e-5,
        _FIG8_IMAGE,
        "read off the committed count plot",
    ),
    Logged(
        "fig11_weightwise",
        "Fig 11: fraction of weightwise nets ending as a fixpoint (zero or not), "
        "per self-training epochs between self-applications 0, 50, ..., 500",
        _xs(MIXED_TRAINS, [0.2, 0.3, 0.15, 0.55, 0.7, 0.85, 0.8, 0.95, 0.9, 1.0, 1.0]),
        20,
        1e-4,
        _MIXED,
        "up to 4 rounds of one self-application and T Keras epochs; zero and non-zero fixpoints together",
    ),
    Logged(
        "fig11_aggregating",
        "Fig 11: fraction of aggregating nets ending as a fixpoint, per T",
        _xs(MIXED_TRAINS, [1.0, 0.95, 1.0, 1.0, 0.95, 0.9, 0.8, 1.0, 0.85, 1.0, 0.9]),
        20,
        1e-4,
        _MIXED,
    ),
    Logged(
        "fig11_recurrent",
        "Fig 11: fraction of recurrent nets ending as a fixpoint, per T",
        _xs(MIXED_TRAINS, [0.05, 0.0, 0.05, 0.0, 0.0, 0.1, 0.1, 0.05, 0.1, 0.0, 0.0]),
        20,
        1e-4,
        _MIXED,
    ),
    Logged(
        "fig12_soup",
        "Fig 12: the 20-net weightwise soup after 100 epochs (A = 30, α = 0.1)",
        {_DIV: 0, _ZERO: 0, _NONZERO: 13, _SEC: 0, _OTHER: 7},
        20,
        1e-4,
        "master:code/results/Soup/log.txt",
        "divergent and zero particles were replaced by fresh ones (none was, in this run)",
    ),
    Logged(
        "fig13_weightwise_nonzero",
        "Fig 13: non-zero fixpoints per weightwise soup of 10, per A = 0 ... 100",
        _xs(SOUP_TRAINS, [0, 0, 0.7, 1.9, 3.6, 4.3, 6.0, 6.1, 8.3, 7.7, 8.8]),
        10,
        1e-4,
        _SOUP,
        "mean over 10 soups of 10 nets after 5 epochs, α = 0.1",
    ),
    Logged(
        "fig13_weightwise_zero",
        "Fig 13: zero fixpoints per weightwise soup of 10, per A",
        _xs(SOUP_TRAINS, [0, 0, 0.1, 0, 0, 0, 0, 0.1, 0, 0, 0]),
        10,
        1e-4,
        _SOUP,
    ),
    Logged(
        "fig13_aggregating_nonzero",
        "Fig 13: non-zero fixpoints per aggregating soup of 10, per A",
        _xs(SOUP_TRAINS, [0.0] * 11),
        10,
        1e-4,
        _SOUP,
    ),
    Logged(
        "fig13_aggregating_zero",
        "Fig 13: zero fixpoints per aggregating soup of 10, per A",
        _xs(SOUP_TRAINS, [0.8, 0.4, 0.4, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.4, 0.3]),
        10,
        1e-4,
        _SOUP,
    ),
    Logged(
        "learn_soup_nonzero",
        "learn-from soup (not in the paper): non-zero fixpoints per weightwise soup of 10 after 100 epochs, "
        "per severity 0, 10, ..., 100 (Keras epochs on the teacher's pairs per learning-from)",
        _xs(tuple(range(0, 101, 10)), [0.0, 1.2, 5.2, 7.4, 8.1, 9.1, 9.6, 9.8, 10.0, 9.9, 9.9]),
        10,
        1e-4,
        "master:code/results/exp-learn-from-soup-_1552658566.5572753-0/log.txt",
        "mean over 10 soups; attacks off, learn_from_rate 0.1, no self-training "
        "(code/setups/learn_from_soup.py)",
    ),
    Logged(
        "learn_soup_zero",
        "learn-from soup: zero fixpoints per soup, per severity",
        _xs(tuple(range(0, 101, 10)), [0.0] * 11),
        10,
        1e-4,
        "master:code/results/exp-learn-from-soup-_1552658566.5572753-0/log.txt",
    ),
    Logged(
        "fig13_weightwise_nonzero_rep1",
        "Fig 13 replicate: non-zero fixpoints per weightwise soup, per A",
        _xs(SOUP_TRAINS, [0, 0, 0.6, 2.2, 3.5, 4.8, 5.6, 7.1, 8.3, 7.5, 9.0]),
        10,
        1e-4,
        "36d6579:code/weightwise_experiments/exp-mixed-self-fixpoints-_3256025691277105-0/log.txt",
    ),
    Logged(
        "fig13_weightwise_nonzero_rep2",
        "Fig 13 replicate: non-zero fixpoints per weightwise soup, per A",
        _xs(SOUP_TRAINS, [0, 0, 0.6, 1.8, 2.7, 5.1, 5.8, 7.8, 8.5, 9.0, 8.8]),
        10,
        1e-4,
        "869833d:code/setups/experiments/exp-mixed-self-fixpoints-_1552658653.1189044-0/log.txt",
    ),
]


_ENTRIES: list[Logged] = [
    # -- Chapter 1: self-application ------------------------------------------------------------
    Logged(
        "fig1_aggregating",
        "Fig 1: 10 aggregating nets, self-applied until divergent or a 1e-14-fixpoint",
        {_DIV: 0, _ZERO: 10, _NONZERO: 0, _SEC: 0, _OTHER: 0},
        10,
        1e-14,
        "master:code/results/self_application_aggregation_network/log.txt",
        "trajectory run; the class default ε = 1e-14 stops the trajectories early",
    ),
    Logged(
        "fig1_weightwise",
        "weightwise analogue of Fig 1: 20 nets self-applied until divergent or fixpoint",
        {_DIV: 11, _ZERO: 9, _NONZERO: 0, _SEC: 0, _OTHER: 0},
        20,
        1e-14,
        "master:code/setups/experiments/exp-weightwise_self_application-_1552664922.4501734-0/log.txt",
    ),
    Logged(
        "fig2_weightwise",
        "Fig 2: weightwise nets after 100 self-applications",
        {_DIV: 23, _ZERO: 27, _NONZERO: 0, _SEC: 0, _OTHER: 0},
        50,
        1e-4,
        "master:code/results/exp-applying_fixpoint-_1552681870.3570378-0/log.txt",
    ),
    Logged(
        "fig2_aggregating",
        "Fig 2: aggregating nets after 100 self-applications",
        {_DIV: 4, _ZERO: 46, _NONZERO: 0, _SEC: 0, _OTHER: 0},
        50,
        1e-4,
        "master:code/results/exp-applying_fixpoint-_1552681870.3570378-0/log.txt",
    ),
    Logged(
        "fig2_recurrent",
        "Fig 2: recurrent nets after 100 self-applications",
        {_DIV: 46, _ZERO: 4, _NONZERO: 0, _SEC: 0, _OTHER: 0},
        50,
        1e-4,
        "master:code/results/exp-applying_fixpoint-_1552681870.3570378-0/log.txt",
    ),
    Logged(
        "density_weightwise",
        "random weightwise nets classified once (trial run of the 100,000-net check)",
        {_DIV: 0, _ZERO: 0, _NONZERO: 0, _SEC: 0, _OTHER: 100},
        100,
        1e-4,
        "36d6579:code/weightwise_experiments/exp-fixpoint-density-_3256002726938743-0/log.txt",
        "no log of the 100,000-net run was committed; the logged trial runs used 100 nets",
    ),
    Logged(
        "density_aggregating",
        "random aggregating nets classified once (trial run of the 100,000-net check)",
        {_DIV: 0, _ZERO: 0, _NONZERO: 0, _SEC: 0, _OTHER: 100},
        100,
        1e-4,
        "3ca8dc1:code/aggregated_experiments/exp-fixpoint-density-_6512072410481991-0/log.txt",
        "no log of the 100,000-net run was committed; the logged trial runs used 100 nets",
    ),
    Logged(
        "fig3_time_to_vergence",
        "Fig 3: mean time to vergence of noisy identity copies, per noise level",
        _levels([3.63, 5.02, 6.46, 8.04, 9.61, 11.23, 12.99, 14.58, 21.95, 26.45]),
        100,
        1e-4,
        "master:code/results/known_fixpoint_variation/log.txt",
        "Keras procedure: at most 100 self-applications; the verging application is not counted",
    ),
    Logged(
        "fig3_time_as_fixpoint",
        "Fig 3: mean time as fixpoint of noisy identity copies, per noise level",
        _levels([0, 0, 0, 0, 0.04, 1.38, 3.23, 4.84, 11.91, 16.47]),
        100,
        1e-4,
        "master:code/results/known_fixpoint_variation/log.txt",
        "Keras procedure: only the initial unbroken run of fixpoint steps counts",
    ),
    Logged(
        "fig3_time_to_vergence_median",
        "Fig 3: median time to vergence per noise level",
        _levels([4, 5, 7, 8, 10, 11, 13, 14, 22, 26]),
        100,
        1e-4,
        "master:code/results/known_fixpoint_variation/experiment.html",
    ),
    # -- Chapter 2: self-training ---------------------------------------------------------------
    Logged(
        "fig5_weightwise",
        "Fig 5: weightwise nets after 1,000 self-training epochs",
        {_DIV: 0, _ZERO: 0, _NONZERO: 50, _SEC: 0, _OTHER: 0},
        50,
        1e-4,
        "master:code/results/exp-training_fixpoint-_1552658296.0913951-0/log.txt",
        "Keras epochs: 14 per-sample SGD updates (lr 0.01) per epoch",
    ),
    Logged(
        "fig5_aggregating",
        "Fig 5: aggregating nets after 1,000 self-training epochs",
        {_DIV: 0, _ZERO: 0, _NONZERO: 0, _SEC: 0, _OTHER: 50},
        50,
        1e-4,
        "master:code/results/exp-training_fixpoint-_1552658296.0913951-0/log.txt",
    ),
    Logged(
        "fig5_recurrent",
        "Fig 5: recurrent nets after 1,000 self-training epochs",
        {_DIV: 38, _ZERO: 0, _NONZERO: 0, _SEC: 0, _OTHER: 12},
        50,
        1e-4,
        "master:code/results/exp-training_fixpoint-_1552658296.0913951-0/log.txt",
    ),
    # -- Chapters 3-5: weight space, mixed setting, soups (paper-spec §8-§10) -------------------
    *_CHAPTERS_3_5,
]

LOGGED: Mapping[str, Logged] = MappingProxyType({e.key: e for e in _ENTRIES})


def logged(key: str) -> Logged:
    """The logged entry `key` (ValueError naming the key when unknown)."""
    if key not in LOGGED:
        raise ValueError(f"key: no logged result {key!r} (known: {', '.join(sorted(LOGGED))})")
    return LOGGED[key]


@dataclass(frozen=True)
class PublishedConfig:
    """A self-training configuration as one of the authors' codes ran it (paper-spec §2.2, §15).

    `key` is the short name the chapter glues under (pub_<key>_...); `source` names the commit and the
    files and lines that decide each setting, as read in the authors' repository.
    """

    key: str
    name: str
    positions: str
    init: str
    order: str
    step: str
    lr: float
    momentum: float
    targets: str
    source: str
    note: str = field(default="")


# Read in illiumst/self-replicating-neural-networks. The journal paper's code is journal@21dd572
# (2021-09-13): `network.py::input_weight_matrix` (L97-113) copies every weight with `.item()` into a
# numpy array, so inputs and targets are constants, and scales each position with `normalize()` (L89-95:
# index / (count - 1) when count - 1 > 1), i.e. to [0, 1], in the order of `state_dict()` (output neuron by
# output neuron); `Net.__init__` (L78-80) keeps PyTorch's default `nn.Linear` initialisation;
# `self_train` (L115-128) builds `optim.SGD(lr, momentum=0.9)` anew on every call. The 2022 refactor
# on the same branch changed two of these: 49c0d8a (2022-01-26, `network.py::input_weight_matrix` L137-142)
# builds inputs and targets from the live parameters, so the loss is differentiated through them, and
# 1b7581e (2022-02-01, `network.py::_weight_pos_enc` L116-119) leaves the positions raw (the normalising
# slice `1:-0` is empty for 4 inputs). Neither is the journal paper's code.
PUBLISHED_CONFIGS: tuple[PublishedConfig, ...] = (
    PublishedConfig(
        "keras",
        "Keras (ALIFE 2019, Figs 4-5)",
        "scaled",
        "glorot",
        "input_major",
        "epoch",
        0.01,
        0.0,
        "constant",
        "master:code/setups/training-fixpoints.py",
        "Keras SGD, batch size 1, shuffled, 14 updates per epoch",
    ),
    PublishedConfig(
        "journal",
        "journal@21dd572 (Figs 7-10, 14)",
        "scaled",
        "pytorch",
        "output_major",
        "batch",
        0.04,
        0.0,
        "constant",
        "journal@21dd572: network.py L78-80, L89-113, L115-128; main.py L61 (lr 0.04); "
        "experiments/self_train_exp.py L57-58 and journal_basins.py L126-127, L225, L233 "
        "(self_train(1, ...) per step, 2,500 steps, lr 0.04); main.py L136, L143 with "
        "experiments/robustness_exp.py L65-66 (rob_*: 1,500 such steps at lr 0.04)",
        "momentum 0.9 is declared, but self_train(1, ...) rebuilds the optimizer every step: it never acts",
    ),
    PublishedConfig(
        "jrob",
        "journal@21dd572 robustness (Fig 6)",
        "scaled",
        "pytorch",
        "output_major",
        "batch",
        0.004,
        0.9,
        "constant",
        "journal@21dd572: journal_robustness.py L113-114, L220-225 (5 x self_train(1000, ...), lr 0.004)",
        "momentum acts within each of five 1,000-step chunks (the grid's cell carries it across all steps)",
    ),
    PublishedConfig(
        "refactor",
        "2022 refactor (49c0d8a + 1b7581e)",
        "raw",
        "pytorch",
        "output_major",
        "batch",
        0.04,
        0.0,
        "differentiated",
        "49c0d8a: network.py L137-142 (inputs and targets in the autograd graph); "
        "1b7581e: network.py L116-119 (raw positions)",
        "the journal's main setting with the two changes of the authors' 2022 refactor; not the paper's code",
    ),
)


def published_config(key: str) -> PublishedConfig:
    """The published configuration `key` ("keras", "journal", "jrob", "refactor")."""
    for p in PUBLISHED_CONFIGS:
        if p.key == key:
            return p
    raise ValueError(f"key: no published config {key!r} (known: {[p.key for p in PUBLISHED_CONFIGS]})")


def logged_counts(
    figure: str, reductions: tuple[str, ...] = ("weightwise", "aggregating", "recurrent")
) -> pd.DataFrame:
    """The logged outcome counts of `figure` ("fig1", "fig2", "fig5"): reduction, kind, count, n, fraction."""
    rows = []
    for red in reductions:
        key = f"{figure}_{red}"
        if key not in LOGGED:
            continue
        entry = LOGGED[key]
        for kind, count in entry.values.items():
            rows.append(
                {"reduction": red, "kind": kind, "count": count, "n": entry.n, "fraction": count / entry.n}
            )
    if not rows:
        raise ValueError(f"figure: no logged outcome counts for {figure!r}")
    return pd.DataFrame(rows)


def logged_fig3() -> pd.DataFrame:
    """The logged Fig 3 means per noise level: level, time_to_vergence, time_as_fixpoint."""
    tv, tf = LOGGED["fig3_time_to_vergence"], LOGGED["fig3_time_as_fixpoint"]
    return pd.DataFrame(
        {
            "level": NOISE_LEVELS,
            "time_to_vergence": [tv.values[f"{z:.0e}"] for z in NOISE_LEVELS],
            "time_as_fixpoint": [tf.values[f"{z:.0e}"] for z in NOISE_LEVELS],
        }
    )
