"""selfrep: populations of self-referential neural networks, held as one (P, W) tensor."""

__version__ = "0.1.0"
