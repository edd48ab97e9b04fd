"""The family of weightwise fixpoints and the geometry of retraining (chapter 3; issue 12).

A linear weightwise net without biases computes one linear map of its input, o = a·(v, l, c, p), with the
end-to-end map a = W₃W₂W₁ (1 × 4). Self-application gives (𝒩 ◁ 𝒩)_i = a·x_i with x_i = (w_i, l_i, c_i,
p_i), so the fixpoint condition F(w) = 𝒩 ◁ 𝒩 − w = 0 holds on the whole set {w : a(w) = (1, 0, 0, 0)},
the *identity family*: a continuous family whose dimension is W minus the rank of F's Jacobian there.

Near a member, self-training's gradient Jᵀr lies in the row space of the Jacobian J (the normal space of
the family), so retraining a perturbed copy p + δ removes, to first order, only δ's normal part: the child
ends near p + P_T δ, with P_T the orthogonal projection onto J's null space (the tangent space). This
module computes a, J, its rank, the projection, and a batched Levenberg–Marquardt search for exact
first- and second-order fixpoints from random starts (everything in float64, one (P, W) tensor).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from selfrep.fixpoints import FixpointKind, classify
from selfrep.nets import forward


def _check_linear(reduction) -> None:
    arch = reduction.arch
    if arch.kind != "mlp" or arch.activation != "linear" or arch.bias or arch.n_out != 1:
        raise ValueError(f"reduction: the family analysis needs a linear mlp without bias, got {arch}")


def end_to_end_map(weights: torch.Tensor, reduction) -> torch.Tensor:
    """(P, n_in) float64 end-to-end map a of each linear net (o = a·x): the net applied to the unit inputs."""
    _check_linear(reduction)
    reduction.arch.check(weights)
    w = weights.to(torch.float64)
    n_in = reduction.arch.n_in
    eye = torch.eye(n_in, dtype=torch.float64).expand(w.shape[0], n_in, n_in)
    with torch.no_grad():
        return forward(reduction.arch, w, eye).squeeze(-1)


def residual(weights: torch.Tensor, reduction, order: int = 1) -> torch.Tensor:
    """(P, W) float64 F(w) = 𝒩 ◁ 𝒩 − w (order 1) or G(w) = 𝒩 ◁ (𝒩 ◁ 𝒩) − w (order 2, as `classify`)."""
    if order not in (1, 2):
        raise ValueError(f"order: must be 1 or 2, got {order}")
    w = weights.to(torch.float64)
    out = reduction.apply(w, w)
    if order == 2:
        out = reduction.apply(w, out)
    return out - w


def map_derivative(weights: torch.Tensor, reduction) -> torch.Tensor:
    """(P, n_in, W) ∂a/∂w_k of every net. a = W₃W₂W₁ is linear in every single weight (each weight sits
    in one layer), so a(w + e_k) − a(w) is the derivative exactly; one batched evaluation."""
    w = weights.detach().to(torch.float64)
    P, W = w.shape
    moved = w.unsqueeze(1) + torch.eye(W, dtype=torch.float64)  # (P, W, W): net p with w_k + 1
    a = end_to_end_map(w, reduction)
    a_k = end_to_end_map(moved.reshape(P * W, W), reduction).reshape(P, W, -1)
    return (a_k - a.unsqueeze(1)).transpose(1, 2)


def jacobian(weights: torch.Tensor, reduction, order: int = 1) -> torch.Tensor:
    """(P, W, W) float64 Jacobian [p, i, k] = ∂F_i/∂w_k (order 1) or ∂G_i/∂w_k (order 2), in closed form.

    With a = (a₀, b) and x_i = (w_i, s_i) (s_i the weight's position features):
    F_i = a₀w_i + b·s_i − w_i and G_i = a₀²w_i + (a₀ + 1) b·s_i − w_i (𝒩 applied to 𝒩 ◁ 𝒩)."""
    _check_linear(reduction)
    if order not in (1, 2):
        raise ValueError(f"order: must be 1 or 2, got {order}")
    reduction.arch.check(weights)
    w = weights.detach().to(torch.float64)
    P, W = w.shape
    a = end_to_end_map(w, reduction)  # (P, 4)
    da = map_derivative(w, reduction)  # (P, 4, W)
    s = reduction.encoding(torch.float64)  # (W, 3)
    a0, b = a[:, 0], a[:, 1:]
    da0, db = da[:, 0, :], da[:, 1:, :]  # (P, W), (P, 3, W)
    eye = torch.eye(W, dtype=torch.float64)
    sdb = torch.einsum("ij,pjk->pik", s, db)  # (P, W, W): s_i · ∂b/∂w_k
    if order == 1:
        return w.unsqueeze(2) * da0.unsqueeze(1) + sdb + (a0 - 1)[:, None, None] * eye
    bs = b @ s.T  # (P, W): b·s_i
    return (
        (2 * a0[:, None] * da0).unsqueeze(1) * w.unsqueeze(2)
        + (a0**2 - 1)[:, None, None] * eye
        + da0.unsqueeze(1) * bs.unsqueeze(2)
        + (a0 + 1)[:, None, None] * sdb
    )


def jacobian_ad(weights: torch.Tensor, reduction, order: int = 1) -> torch.Tensor:
    """`jacobian` by forward-mode automatic differentiation of the library's own self-application (slow;
    the check of the closed form)."""
    reduction.arch.check(weights)
    w = weights.detach().to(torch.float64)
    P, W = w.shape
    base = w.repeat_interleave(W, dim=0)  # (P·W, W): net p once per direction
    tangents = torch.eye(W, dtype=torch.float64).repeat(P, 1)
    _, out = torch.func.jvp(lambda x: residual(x, reduction, order), (base,), (tangents,))
    return out.reshape(P, W, W).transpose(1, 2)


class Rank(NamedTuple):
    """Numerical rank of each Jacobian and its singular values (descending)."""

    rank: torch.Tensor  # (P,) int64
    singular: torch.Tensor  # (P, W) float64


def numerical_rank(jac: torch.Tensor, rtol: float = 1e-6) -> Rank:
    """Rank = number of singular values above `rtol` × the largest (per net)."""
    if jac.ndim != 3:
        raise ValueError(f"jac: expected a (P, m, n) tensor, got shape {tuple(jac.shape)}")
    if not 0 < rtol < 1:
        raise ValueError(f"rtol: must lie in (0, 1), got {rtol}")
    s = torch.linalg.svdvals(jac)
    rank = (s > rtol * s[:, :1]).sum(dim=1)
    return Rank(rank, s)


def tangent_projection(jac: torch.Tensor, delta: torch.Tensor, rank: int | torch.Tensor) -> torch.Tensor:
    """(P, W) the part of each displacement δ in the null space of its Jacobian (the family's tangent
    space at the base point): δ − V_r V_rᵀ δ, V_r the top-`rank` right singular vectors (`rank`: one for
    all, or a (P,) tensor)."""
    if delta.ndim != 2 or jac.ndim != 3 or jac.shape[0] != delta.shape[0] or jac.shape[2] != delta.shape[1]:
        raise ValueError(
            f"delta: expected ({jac.shape[0]}, {jac.shape[-1]}) for jac {tuple(jac.shape)}, "
            f"got {tuple(delta.shape)}"
        )
    W = jac.shape[2]
    r = torch.as_tensor(rank, dtype=torch.int64).expand(jac.shape[0])
    if bool((r < 0).any()) or bool((r > W).any()):
        raise ValueError(f"rank: must lie in [0, {W}], got {rank}")
    _, _, vh = torch.linalg.svd(jac.to(torch.float64))
    keep = (torch.arange(vh.shape[1]) < r[:, None]).to(torch.float64)  # (P, W): which directions are normal
    d = delta.to(torch.float64)
    coef = torch.einsum("pkw,pw->pk", vh, d) * keep
    return d - torch.einsum("pkw,pk->pw", vh, coef)


class Search(NamedTuple):
    """Result of `least_squares_search`: the end points, their max |residual| and their kinds."""

    weights: torch.Tensor  # (P, W) float64
    error: torch.Tensor  # (P,) max |F| (or |G|) at the end
    kinds: torch.Tensor  # (P,) FixpointKind codes (`classify` at the given ε)
    maps: torch.Tensor  # (P, n_in) end-to-end maps


def least_squares_search(
    starts: torch.Tensor,
    reduction,
    order: int = 1,
    iters: int = 200,
    eps: float = 1e-5,
) -> Search:
    """Batched Levenberg–Marquardt on ½‖F(w)‖² (order 1) or ½‖G(w)‖² (order 2) from every start, float64:
    a deliberate search for exact fixpoints, independent of self-training's dynamics."""
    if iters < 1:
        raise ValueError(f"iters: must be >= 1, got {iters}")
    _check_linear(reduction)
    w = starts.detach().to(torch.float64).clone()
    P, W = w.shape
    lam = torch.full((P,), 1e-3, dtype=torch.float64)
    eye = torch.eye(W, dtype=torch.float64)
    r = residual(w, reduction, order).detach()
    cost = (r**2).sum(dim=1)
    for _ in range(iters):
        J = jacobian(w, reduction, order)
        JT = J.transpose(1, 2)
        A = JT @ J + lam[:, None, None] * eye
        step = torch.linalg.solve(A, (JT @ r.unsqueeze(-1))).squeeze(-1)
        cand = w - step
        r_c = residual(cand, reduction, order).detach()
        c_c = (r_c**2).sum(dim=1)
        ok = torch.isfinite(c_c) & (c_c < cost)
        w = torch.where(ok[:, None], cand, w)
        r = torch.where(ok[:, None], r_c, r)
        cost = torch.where(ok, c_c, cost)
        lam = torch.where(ok, lam / 3, lam * 2).clamp(1e-12, 1e12)
    err = r.abs().amax(dim=1)
    return Search(w, err, classify(w, reduction, eps), end_to_end_map(w, reduction))


# Classes of exact solutions, by what the net computes
SOLUTION_LABELS = (
    "zero net",
    "identity family",
    "off the family",
    "second order, a₀ = −1",
    "second order, a₀ ≠ −1",
    "not converged",
)


def solution_class(search: Search, tol: float = 1e-6, exact: float = 1e-10) -> list[str]:
    """One label (SOLUTION_LABELS) per end point: not converged (max |residual| > `exact`), the zero net,
    a member of the identity family (a = e₁ within `tol`), another first-order fixpoint ("off the
    family"), or a second-order fixpoint (not first-order) with a₀ = −1 or with a₀ ≠ −1."""
    e1 = torch.zeros(search.maps.shape[1], dtype=torch.float64)
    e1[0] = 1
    labels = []
    for i in range(search.weights.shape[0]):
        w, a, err = search.weights[i], search.maps[i], float(search.error[i])
        kind = int(search.kinds[i])
        if not err <= exact:
            labels.append(SOLUTION_LABELS[5])
        elif float(w.abs().max()) <= tol:
            labels.append(SOLUTION_LABELS[0])
        elif kind == int(FixpointKind.SECOND_ORDER):
            labels.append(SOLUTION_LABELS[3] if abs(float(a[0]) + 1) <= tol else SOLUTION_LABELS[4])
        elif float((a - e1).abs().max()) <= tol:
            labels.append(SOLUTION_LABELS[1])
        elif kind in (int(FixpointKind.NONZERO), int(FixpointKind.ZERO)):
            labels.append(SOLUTION_LABELS[2])
        else:
            labels.append(SOLUTION_LABELS[5])
    return labels


def negate_last_layer(weights: torch.Tensor, reduction) -> torch.Tensor:
    """The nets with their last layer negated: a → −a, so a fixpoint of the identity family (a = e₁)
    becomes a net with a = −e₁, a second-order fixpoint by construction."""
    _check_linear(reduction)
    reduction.arch.check(weights)
    last = reduction.arch.blocks[-1]
    out = weights.clone()
    out[:, last.offset : last.offset + last.rows * last.cols] *= -1
    return out


def negated_identity(reduction, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """(1, W) a net computing o = −v (a = −e₁): the first unit of every layer passes its first input on,
    the last layer negates it; every other weight 0."""
    _check_linear(reduction)
    arch = reduction.arch
    w = torch.zeros(1, arch.n_weights, dtype=dtype)
    for k, blk in enumerate(arch.blocks):
        # entry (0, 0) of the layer matrix is the first input's weight to the first unit in either layout
        w[0, blk.offset] = -1.0 if k == len(arch.blocks) - 1 else 1.0
    a = end_to_end_map(w, reduction)[0]
    target = torch.zeros_like(a)
    target[0] = -1
    if not torch.allclose(a, target):
        raise ValueError(f"reduction: could not build the negated identity for {arch} (got a = {a.tolist()})")
    return w
