"""Chapter 6b's experiments E4-E7 as library calls, each timed (CPU and wall seconds, glued as
`e4_cpu_s`, `e4_wall_s`, ...) and returning its frames and its glued numbers, with the configuration
numbers the prose cites.

    E4 hypernet.run_hypernet    E5 editnet.run_editnet    E6 lottery.run_lottery    E7 serann.run_serann
"""

from __future__ import annotations

import torch

from selfrep.chapters.self_modification.config import PRESETS, SelfModConfig
from selfrep.chapters.self_modification.values import Result, e4_values, e5_values, e6_values, e7_values
from selfrep.selfmod import editnet, hypernet, lottery, serann
from selfrep.selfmod.common import generator, init_layers, mlp_forward, timed
from selfrep.selfmod.net2net import net2deeper, net2wider


def preservation_check(seed: int = 0, n_checks: int = 20) -> float:
    """Max |delta logits| over random Net2Wider / Net2Deeper edits of random ReLU nets (A5.1)."""
    worst = 0.0
    for i in range(n_checks):
        g = generator(5, 99, seed, i)
        depth = 1 + i % 3
        widths = [int(w) for w in torch.tensor([16, 32, 64])[torch.randint(0, 3, (depth,), generator=g)]]
        layers = init_layers((64, *widths, 10), g)
        x = torch.rand(256, 64, generator=g)
        y0 = mlp_forward(layers, x)
        l = int(torch.randint(0, depth, (1,), generator=g))
        wide = net2wider(layers, l, 2 * widths[l], g)
        deep = net2deeper(wide, l)
        for net in (wide, deep):
            worst = max(worst, float((mlp_forward(net, x) - y0).abs().max()))
    return worst


def run_e4(cfg: SelfModConfig, seed: int = 0) -> Result:
    """E4: graph hypernetworks predict the weights of unseen architectures."""
    with timed() as t:
        res = hypernet.run_hypernet(cfg.ghn, seed)
    g = cfg.ghn
    v = e4_values(res, g)
    v.update(
        e4_cpu_s=t.cpu,
        e4_wall_s=t.wall,
        e4_ghn_steps=g.steps,
        e4_meta_batch=g.meta_batch,
        e4_rank=g.rank,
        e4_image_batch=g.image_batch,
        e4_adam_batch=g.adam_batch,
    )
    return Result(res, v)


def run_e5(cfg: SelfModConfig, bench, seed: int = 0) -> Result:
    """E5: a head inside the net edits its own architecture (Net2Net edits, evolved without gradients).
    `bench` is the loaded DigitsMLP-Bench of chapter 6 (static baselines, from-scratch accuracies)."""
    with timed() as t:
        res = editnet.run_editnet(cfg.edit, seed)
    e = cfg.edit
    v = e5_values(res, e, bench, preservation_check(seed))
    v.update(
        e5_cpu_s=t.cpu,
        e5_wall_s=t.wall,
        e5_pop=e.pop,
        e5_elite=e.elite,
        e5_generations=e.generations,
        e5_rounds=e.rounds,
        e5_epochs_per_round=e.epochs_per_round,
        e5_warmup_epochs=e.warmup_epochs,
        e5_alpha=f"{e.alpha:g}",
        e5_rule_loss=f"{e.rule_loss:g}",
        e5_desc_dim=editnet.DESC_DIM,
        e5_head_hidden=e.head_hidden,
        e5_n_actions=editnet.N_ACTIONS,
    )
    return Result(res, v)


def run_e6(cfg: SelfModConfig, seed: int = 0) -> Result:
    """E6: lottery tickets by iterative magnitude pruning (`res` is the per-round frame)."""
    with timed() as t:
        res = lottery.run_lottery(cfg.lottery, seed)
    lc, paper = cfg.lottery, PRESETS["paper"].lottery
    v = e6_values(res)
    v.update(
        e6_cpu_s=t.cpu,
        e6_wall_s=t.wall,
        e6_epochs=lc.epochs,
        e6_sizes="-".join(map(str, lc.sizes)),
        e6_lr=f"{lc.lr:g}",
        e6_batch=lc.batch_size,
        e6_prune_rate=lc.prune_rate,
        e6_prune_rate_out=lc.prune_rate_out,
        e6_paper_prune_rate=paper.prune_rate,
        e6_paper_prune_rate_out=paper.prune_rate_out,
    )
    return Result(res, v)


def run_e7(cfg: SelfModConfig, seed: int = 0) -> Result:
    """E7: populations of networks that copy themselves (SeRANN), with external-mutation and trivial
    controls."""
    with timed() as t:
        res = serann.run_serann(cfg.serann, seed)
    v = e7_values(res, cfg.serann)
    v.update(e7_cpu_s=t.cpu, e7_wall_s=t.wall, e7_epochs=cfg.serann.epochs)
    return Result(res, v)
