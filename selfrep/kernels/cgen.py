"""C generation: the column code of selfrep.kernels.column run on placeholders that record one C statement per
operation, inside a loop over blocks of LANES networks that the C compiler vectorises."""

from __future__ import annotations

from selfrep.kernels.column import LANES, _apply_cols, _batch_step, _sample_grad, _sgd
from selfrep.nets import Arch


# ------------------------------------------------------------------------------------------------
# C generation: the same column code, run on placeholders that record C statements
# ------------------------------------------------------------------------------------------------
class _Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0

    def let(self, expr: str) -> _Var:
        self.n += 1
        name = f"t{self.n}"
        self.lines.append(f"const real {name} = {expr};")
        return _Var(self, name)


class _Var:
    """A C scalar of one network (one SIMD lane). Arithmetic on it emits a C statement."""

    is_placeholder = True  # column.py emits C, not torch calls, for these

    __slots__ = ("em", "ref")

    def __init__(self, em: _Emitter, ref: str) -> None:
        self.em, self.ref = em, ref

    def _c(self, other) -> str:
        return other.ref if isinstance(other, _Var) else f"(real)({float(other)!r})"

    def __add__(self, o):
        return self.em.let(f"{self.ref} + {self._c(o)}")

    def __radd__(self, o):
        return self.em.let(f"{self._c(o)} + {self.ref}")

    def __sub__(self, o):
        return self.em.let(f"{self.ref} - {self._c(o)}")

    def __rsub__(self, o):
        return self.em.let(f"{self._c(o)} - {self.ref}")

    def __mul__(self, o):
        return self.em.let(f"{self.ref} * {self._c(o)}")

    def __rmul__(self, o):
        return self.em.let(f"{self._c(o)} * {self.ref}")

    def activation(self, name: str) -> _Var:
        r = self.ref
        if name == "tanh":
            return self.em.let(f"TANH({r})")
        if name == "sigmoid":
            return self.em.let(f"(real)1 / ((real)1 + EXP(-{r}))")
        return self.em.let(f"({r} <= (real)0 ? (real)0 : {r})")  # relu; nan stays nan, as torch.relu

    def positive(self) -> _Var:
        return self.em.let(f"({self.ref} > (real)0 ? (real)1 : (real)0)")


_PRELUDE = """\
#include <stdint.h>
#include <math.h>
typedef {real} real;
#define L {lanes}
#define W {W}
#define TANH {tanh}
#define EXP {exp}
static inline uint32_t mix32(uint32_t x) {{
    x ^= x >> 16; x *= 0x7FEB352Du; x ^= x >> 15; x *= 0x846CA68Bu; x ^= x >> 16; return x;
}}
"""

_LOAD = """\
    const int n = (P - b0) < L ? (int)(P - b0) : L;
    for (int i = 0; i < W; ++i) for (int l = 0; l < L; ++l) {{
        {body}
    }}
"""


def _block_loop(body_lines: list[str]) -> str:
    return (
        "#pragma omp simd\n    for (int l = 0; l < L; ++l) {\n        "
        + "\n        ".join(body_lines)
        + "\n    }\n"
    )


def _step_source(arch: Arch, step: str, momentum_on: bool, real: str, teacher: bool = False) -> str:
    """C of one training step. With `teacher` (epoch steps only) the samples are made of a second
    population's weights (argument t_in, one teacher per network): learning from another network."""
    if teacher and step != "epoch":
        raise ValueError("teacher: learning from another network has a kernel for epoch steps only")
    W = arch.n_weights
    em = _Emitter()
    cols = [_Var(em, f"w[{i}][l]") for i in range(W)]
    vcols = [_Var(em, f"v[{i}][l]") for i in range(W)] if momentum_on else None
    lr, mom = _Var(em, "lr"), _Var(em, "mom")
    blocks: list[str] = []

    def store(new_cols, new_vcols):
        em.lines += [f"w[{i}][l] = {c.ref};" for i, c in enumerate(new_cols)]
        if new_vcols is not None:
            em.lines += [f"v[{i}][l] = {c.ref};" for i, c in enumerate(new_vcols)]

    if step == "batch":
        encs = [[_Var(em, f"enc[{s * 3 + c}]") for c in range(3)] for s in range(W)]
        store(*_batch_step(arch, cols, vcols, encs, lr, mom))
        blocks.append(_block_loop(em.lines))
    else:
        for k in range(W):  # one vectorised loop per sample of the epoch; weights live in w[][] between
            em.lines = [f"const int ik = idx[{k}][l];"]
            cols = [_Var(em, f"w[{i}][l]") for i in range(W)]
            vcols = [_Var(em, f"v[{i}][l]") for i in range(W)] if momentum_on else None
            val = em.let("fro[ik * L + l]")
            x = [val] + [em.let(f"enc[ik * 3 + {c}]") for c in range(3)]
            store(*_sgd(cols, vcols, _sample_grad(arch, cols, x, val, 1.0 / arch.n_out), lr, mom))
            blocks.append(_block_loop(em.lines))
    shuffle = ""
    if step == "epoch":  # Fisher-Yates per lane, unrolled into where-chains so that it vectorises
        fy = ["const uint32_t key = (uint32_t)kb[l];"]
        fy += [f"int id{i} = {i};" for i in range(W)]
        for i in range(W - 1, 0, -1):
            fy.append(f"{{ const uint32_t r = mix32(mix32(key + {i}u * 0x9E3779B9u));")
            fy.append(f"  const int j = (int)(((uint64_t)r * {i + 1}u) >> 32); int sel = id{i};")
            for c in range(i):
                swap = f"id{c} = j == {c} ? sel : old; sel = j == {c} ? old : sel;"
                fy.append(f"  {{ const int old = id{c}; {swap} }}")
            fy.append(f"  id{i} = sel; }}")
        fy += [f"idx[{i}][l] = id{i};" for i in range(W)]
        shuffle = (
            "    int64_t kb[L];\n    for (int l = 0; l < L; ++l) kb[l] = l < n ? keys[b0 + l] : 0;\n    "
            + _block_loop(fy)
        )
    v_load = "v[i][l] = l < n ? v_in[(b0 + l) * W + i] : (real)0;" if momentum_on else ""
    v_store = "if (l < n) v_out[(b0 + l) * W + i] = v[i][l];" if momentum_on else ""
    fro_load = "l < n ? t_in[(b0 + l) * W + i] : (real)0" if teacher else "w[i][l]"
    t_arg = "const real* restrict t_in, " if teacher else ""
    return (
        _prelude(arch, real)
        + "void kernel(const real* restrict w_in, const real* restrict v_in, real* restrict w_out,\n"
        "            real* restrict v_out, const int64_t* restrict keys, const real* restrict enc,\n"
        f"            {t_arg}int64_t P, double lr_d, double mom_d) {{\n"
        "  const real lr = (real)lr_d, mom = (real)mom_d;\n"
        "  (void)mom; (void)keys; (void)v_in; (void)v_out;\n"
        "  for (int64_t b0 = 0; b0 < P; b0 += L) {\n"
        "    real w[W][L], v[W][L], fro[W * L]; int idx[W][L]; (void)v; (void)fro; (void)idx;\n"
        + _LOAD.format(
            body=f"w[i][l] = l < n ? w_in[(b0 + l) * W + i] : (real)0; fro[i * L + l] = {fro_load}; {v_load}"
        )
        + shuffle
        + "    "
        + "    ".join(blocks)
        + f"    for (int i = 0; i < W; ++i) for (int l = 0; l < L; ++l) {{\n"
        f"        if (l < n) w_out[(b0 + l) * W + i] = w[i][l]; {v_store}\n    }}\n"
        "  }\n}\n"
    )


def _apply_source(arch: Arch, real: str) -> str:
    W = arch.n_weights
    em = _Emitter()
    att = [_Var(em, f"a[{i}][l]") for i in range(W)]
    vic = [_Var(em, f"vc[{i}][l]") for i in range(W)]
    encs = [[_Var(em, f"enc[{s * 3 + c}]") for c in range(3)] for s in range(W)]
    outs = _apply_cols(arch, att, vic, encs)
    em.lines += [f"o[{i}][l] = {c.ref};" for i, c in enumerate(outs)]
    return (
        _prelude(arch, real)
        + "void kernel(const real* restrict a_in, const real* restrict v_in, real* restrict out,\n"
        "            const real* restrict enc, int64_t P) {\n"
        "  for (int64_t b0 = 0; b0 < P; b0 += L) {\n"
        "    real a[W][L], vc[W][L], o[W][L];\n"
        + _LOAD.format(
            body="a[i][l] = l < n ? a_in[(b0 + l) * W + i] : (real)0; "
            "vc[i][l] = l < n ? v_in[(b0 + l) * W + i] : (real)0;"
        )
        + "    "
        + _block_loop(em.lines)
        + "    for (int i = 0; i < W; ++i) for (int l = 0; l < n; ++l) out[(b0 + l) * W + i] = o[i][l];\n"
        "  }\n}\n"
    )


def _prelude(arch: Arch, real: str) -> str:
    f32 = real == "float"
    return _PRELUDE.format(
        real=real,
        lanes=LANES,
        W=arch.n_weights,
        tanh="tanhf" if f32 else "tanh",
        exp="expf" if f32 else "exp",
    )
