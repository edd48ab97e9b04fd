"""Small statistics helpers shared by the chapters."""

from __future__ import annotations

import numpy as np


def wilson_interval(
    k: int | np.ndarray, n: int | np.ndarray, z: float = 1.96
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (default 95 %) for k successes out of n trials: (low, high) fractions.

    Unlike the normal approximation it stays inside [0, 1] and is informative at k = 0 or k = n
    (e.g. 0 of 50 gives [0, 0.071]).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"k, n: need 0 <= k <= n and n > 0, got k={k}, n={n}")
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def rule_of_three(n: int) -> float:
    """Approximate 95 % upper bound on a rate when 0 events were seen in n trials (3 / n)."""
    if n <= 0:
        raise ValueError(f"n: must be > 0, got {n}")
    return min(1.0, 3.0 / n)
