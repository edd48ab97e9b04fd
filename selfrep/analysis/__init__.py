"""Analyses that several chapters share: robustness to noise, trajectories (the one PCA projection every
trajectory figure uses), weight-space cloning, soups, the encoding grid, and small statistics."""
