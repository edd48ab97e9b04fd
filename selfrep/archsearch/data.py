"""The bundled digits data set (sklearn.datasets.load_digits), split once for every chapter-6 experiment.

8x8 images, 1,797 samples, 10 classes. Pixels are divided by 16 (range [0, 1]). The split is stratified
60 / 20 / 20 (train / validation / test) with a fixed random_state, so every experiment sees the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

SPLIT_SEED = 0


@dataclass(frozen=True)
class Digits:
    """Train / validation / test tensors: X (n, 64) float32 in [0, 1], y (n,) int64."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return 10


@lru_cache(maxsize=1)
def load_digits_split() -> Digits:
    """Load digits and split stratified 60/20/20 with random_state=SPLIT_SEED (deterministic, offline)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=SPLIT_SEED
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=SPLIT_SEED
    )

    def t(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype)

    return Digits(
        t(X_train, torch.float32),
        t(y_train, torch.int64),
        t(X_val, torch.float32),
        t(y_val, torch.int64),
        t(X_test, torch.float32),
        t(y_test, torch.int64),
    )
