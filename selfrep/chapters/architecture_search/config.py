"""Chapter 6's configuration: the frozen config (each field's meaning as metadata), its presets per scale,
and the configuration numbers the prose cites (`config_values`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from selfrep.archsearch import hpo, predictors, search
from selfrep.archsearch.space import grid_configs

CHAPTER = "06_architecture_search"
DEFAULT_MLPS = ("mlp_untuned", "mlp_default")


def _field(default, meaning: str):
    """A config field with its default and its one-line meaning (shown in the chapter's scale table)."""
    return field(default=default, metadata={"meaning": meaning})


@dataclass(frozen=True)
class Chapter06Config:
    """Sizes of the chapter's experiments (the table itself is shipped; see `bench.py`)."""

    # E0: live retraining of a slice of the table
    slice_n: int = _field(8, "table rows retrained live to check the stored values")
    slice_seeds: tuple[int, ...] = _field((0,), "training seeds of that live check")
    # E1: strategies at equal budget (budget = max(budgets); smaller budgets are prefixes of the same runs)
    budgets: tuple[int, ...] = _field((10, 25, 50, 100), "evaluation budgets reported (prefixes of one run)")
    repeats: int = _field(100, "runs per strategy (random, grid, evolution) and per space in E2a")
    predictor_repeats: int = _field(20, "runs of each predictor-guided strategy")
    predictor_models: tuple[str, ...] = _field(
        ("rf",), "predictor-guided strategies run (rf: random forest, mlp: MLP ensemble)"
    )
    optuna_samplers: tuple[str, ...] = _field(
        ("tpe",), "Optuna samplers run (tpe: TPE, random: Optuna's random sampler, a cross-check)"
    )
    optuna_repeats: int = _field(100, "runs of each Optuna sampler")
    multi_fidelity: tuple[str, ...] = _field(
        ("hyperband", "successive_halving"), "multi-fidelity strategies run (budgets counted in epochs)"
    )
    evolution_population: int = _field(20, "regularized evolution: population P")
    evolution_sample: int = _field(5, "regularized evolution: tournament size S")
    # E2a: space vs strategy
    space_budgets: tuple[int, ...] = _field((10, 25, 48), "budgets of the space-vs-strategy comparison")
    # E2b: live hyperparameter search
    hpo_repeats: int = _field(3, "live hyperparameter searches per method (each a new training seed)")
    hpo_levels: int = _field(3, "grid levels per hyperparameter (trials = levels^3 for both methods)")
    hpo_epochs: int = _field(8, "training epochs of each live trial")
    # E2c: trainable L2 vs hypergradient
    l2_seeds: tuple[int, ...] = _field((0, 1, 2), "seeds of the trainable-L2 experiment")
    l2_epochs: int = _field(100, "training epochs of the trainable-L2 experiment")
    # E3: meta-predictors
    e3_ns: tuple[int, ...] = _field((10, 25, 50, 100, 200), "training-set sizes N of the predictors")
    e3_repeats: int = _field(3, "repeats (random training sets) per predictor and N")
    e3_models: tuple[str, ...] = _field(predictors.MODELS, "predictors compared")
    proxy_limit: int | None = _field(
        None,
        "architectures scored by the zero-cost proxies (None: all, like the predictors, which are scored on "
        "all but their N training architectures)",
    )
    extrap_repeats: int = _field(3, "repeats of the extrapolation test")

    def __post_init__(self) -> None:
        for name in ("repeats", "predictor_repeats", "hpo_repeats", "e3_repeats", "extrap_repeats"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name}: need at least 2 repeats for standard errors")
        if self.optuna_repeats < 2:
            raise ValueError("optuna_repeats: need at least 2 repeats for standard errors")
        if sorted(self.budgets) != list(self.budgets) or self.budgets[0] < 1:
            raise ValueError(f"budgets: must be increasing and >= 1, got {self.budgets}")


PRESETS: dict[str, Chapter06Config] = {
    "ci": Chapter06Config(),
    "paper": Chapter06Config(
        slice_n=24,
        slice_seeds=(0, 1, 2),
        repeats=100,
        predictor_repeats=100,
        predictor_models=("rf", "mlp"),
        hpo_repeats=10,
        hpo_epochs=20,
        l2_seeds=(0, 1, 2, 3, 4),
        l2_epochs=100,
        e3_repeats=10,
        extrap_repeats=10,
    ),
}

# The 48-point restricted space of E2a: uniform widths {32, 64, 128}, relu/tanh, skip 0/1, depth 1-4.
RESTRICTED = {
    "depths": (1, 2, 3, 4),
    "widths": (32, 64, 128),
    "activations": ("relu", "tanh"),
    "skips": (False, True),
}
METHOD_KEYS = {
    "random": "rs",
    "grid": "grid",
    "evolution": "re",
    "local search": "ls",
    "smac-like (RF)": "pred_rf",
    "bananas-like (MLP)": "pred_mlp",
    "tpe (optuna)": "tpe",
    "random (optuna)": "optuna_rs",
    "hyperband": "hb",
    "successive halving": "sh",
}


def config_values(cfg: Chapter06Config) -> dict[str, float]:
    """Configuration numbers the prose cites, for glue (`cfg_<field>`), plus derived sizes."""
    from selfrep.archsearch.space import SearchSpace

    l2 = hpo.L2Config(epochs=cfg.l2_epochs)
    return {
        "cfg_repeats": cfg.repeats,
        "cfg_predictor_repeats": cfg.predictor_repeats,
        "cfg_evolution_population": cfg.evolution_population,
        "cfg_evolution_sample": cfg.evolution_sample,
        "cfg_budget_max": max(cfg.budgets),
        "cfg_hpo_repeats": cfg.hpo_repeats,
        "cfg_hpo_levels": cfg.hpo_levels,
        "cfg_hpo_trials": cfg.hpo_levels**3,
        "cfg_hpo_epochs": cfg.hpo_epochs,
        "cfg_l2_n_seeds": len(cfg.l2_seeds),
        "cfg_l2_epochs": cfg.l2_epochs,
        "cfg_e3_repeats": cfg.e3_repeats,
        "cfg_extrap_repeats": cfg.extrap_repeats,
        "cfg_grid_size": len(search.default_grid(SearchSpace())),
        "cfg_restricted_size": len(grid_configs(**RESTRICTED)),
        "cfg_predictor_models": ", ".join(search.PREDICTOR_LABELS[m] for m in cfg.predictor_models),
        "cfg_optuna_repeats": cfg.optuna_repeats,
        **repeats_text(cfg),
        **{f"cfg_pred_{k}": v for k, v in _defaults(search.predictor_guided).items()},
        "cfg_hpo_arch": f"{list(hpo.HPO_ARCH.widths)} {hpo.HPO_ARCH.activation}",
        "cfg_hpo_lr_range": f"1e{hpo.LOG_LR[0]:.0f} … 1e{hpo.LOG_LR[1]:.0f}",
        "cfg_hpo_wd_range": f"1e{hpo.LOG_WD[0]:.0f} … 1e{hpo.LOG_WD[1]:.0f}",
        "cfg_hpo_dropout_range": f"{hpo.DROPOUT[0]:g} … {hpo.DROPOUT[1]:g}",
        "cfg_l2_arch": f"{list(l2.widths)} relu",
        "cfg_l2_lr": l2.lr,
    }


def repeats_text(cfg: Chapter06Config) -> dict[str, str]:
    """How many runs each strategy of E1 gets, for prose and captions; predictor-guided search is named
    apart only when its repeat count differs from the others'."""
    n, p = cfg.repeats, cfg.predictor_repeats
    if n == p:
        return {
            "cfg_runs_text": f"{n} independent runs per strategy",
            "cfg_runs_caption": f"{n} per strategy",
            "cfg_runs_note": f"At this scale every strategy has {n} runs.",
        }
    se = "larger" if p < n else "smaller"
    return {
        "cfg_runs_text": (
            f"{n} independent runs ({p} for predictor-guided search, which refits a model every round, so "
            f"its SEs are {se})"
        ),
        "cfg_runs_caption": f"{n} per strategy, {p} for predictor-guided search",
        "cfg_runs_note": (
            f"At this scale predictor-guided search has {p} runs, the other strategies {n} each, so its SEs "
            f"are {se}."
        ),
    }


def _defaults(fn) -> dict[str, int]:
    """The integer keyword defaults of `fn` (the predictor-guided search's sizes, for prose)."""
    import inspect

    ps = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in ps if isinstance(p.default, int) and not isinstance(p.default, bool)}
