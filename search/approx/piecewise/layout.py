"""Where a float32 input's piece comes from: a cell index computed from x, in numpy and as exprc IR.

Two coordinates make a table lookup cheap (the issue's two layouts):

* ``x``: cell = toint((x - a) * s), s = cells / (b - a) rounded to float32. Uniform in value.
* ``bits``: cell = (key(x) >> shift) - (key(a) >> shift), key(x) the float's bits made monotone
  (negative floats have their low 31 bits flipped). Uniform in exponent and mantissa bits: every
  binade gets the same number of cells, so tiny and huge magnitudes are both covered.

A piece is a run of consecutive cells; adaptive knots split runs in half, uniform knots make
every cell its own piece. Both coordinates are monotone in x, so a piece's float32 inputs are one
contiguous range of keys, found here by bisection on the same arithmetic the program does (the
numpy emulation is bit-identical to the program: IEEE float32 sub and mul, truncation, integer
shifts), so inputs that round into a neighbouring cell are judged with the piece that gets them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exprc import ir

F32 = "float32"
I32 = "int32"


def key_of(x: np.ndarray) -> np.ndarray:
    """The monotone integer key of float32 values (int64): bits for x >= +0, -1 - (low 31 bits)
    for x <= -0, so -0.0 -> -1 and +0.0 -> 0."""
    b = np.asarray(x, dtype=np.float32).view(np.int32).astype(np.int64)
    return np.where(b >= 0, b, -1 - (b & 0x7FFFFFFF))


def float_of(key: np.ndarray) -> np.ndarray:
    """The float32 values of monotone keys (the inverse of key_of)."""
    k = np.asarray(key, dtype=np.int64)
    bits = np.where(k >= 0, k, (-1 - k) | 0x80000000)
    return bits.astype(np.uint32).view(np.float32)


def _key_program(x: ir.Node) -> ir.Node:
    """key_of in int32 IR: asint(x) ^ ((asint(x) >> 31) & 0x7fffffff)."""
    m = ir.apply("asint", x)
    mask = ir.apply("iand", ir.apply("shr", m, ir.const(31, I32)), ir.const(0x7FFFFFFF, I32))
    return ir.apply("ixor", m, mask)


@dataclass(frozen=True)
class Layout:
    """A cell coordinate over [a, b]: `cells` cells, computed as the program computes them."""
    kind: str          # "x" or "bits"
    a: float           # float32 endpoints
    b: float
    cells: int
    scale: float = 0.0     # kind x: float32 multiplier
    shift: int = 0         # kind bits: key bits dropped

    @staticmethod
    def uniform_x(a: float, b: float, cells: int) -> "Layout":
        a32, b32 = float(np.float32(a)), float(np.float32(b))
        return Layout("x", a32, b32, cells, scale=float(np.float32(cells / (b32 - a32))))

    @staticmethod
    def uniform_bits(a: float, b: float, shift: int) -> "Layout":
        a32, b32 = float(np.float32(a)), float(np.float32(b))
        ka, kb = (int(key_of(np.float32([v]))[0]) for v in (a32, b32))
        return Layout("bits", a32, b32, (kb >> shift) - (ka >> shift) + 1, shift=shift)

    @property
    def from_plus_zero(self) -> bool:
        """[+0 or more, b]: the key is the float's bits (a negative x outside the interval has
        negative int32 bits, so cell 0 after clamping)."""
        return not np.signbit(np.float32(self.a))

    @property
    def key_range(self) -> tuple[int, int]:
        """Keys of the first and last float32 input of [a, b]."""
        return int(key_of(np.float32([self.a]))[0]), int(key_of(np.float32([self.b]))[0])

    def cell(self, x: np.ndarray) -> np.ndarray:
        """The cell of each float32 input (int64), clamped into [0, cells) as the table clamps."""
        x = np.asarray(x, dtype=np.float32)
        if self.kind == "x":
            with np.errstate(invalid="ignore", over="ignore"):
                v = (x - np.float32(self.a)) * np.float32(self.scale)
                c = np.trunc(np.nan_to_num(v, nan=0.0, posinf=2.0 ** 31, neginf=-2.0 ** 31))
            c = np.clip(c, -2.0 ** 31, 2.0 ** 31 - 1).astype(np.int64)
        else:
            ka = self.key_range[0]
            key = x.view(np.int32).astype(np.int64) if self.from_plus_zero else key_of(x)
            c = (key >> self.shift) - (ka >> self.shift)
        return np.clip(c, 0, self.cells - 1)

    def program(self, x: ir.Node) -> ir.Node:
        """The cell index of x as int32 IR (the table op clamps it)."""
        if self.kind == "x":
            d = ir.apply("sub", x, ir.const(self.a, F32))
            return ir.apply("toint", ir.apply("mul", d, ir.const(self.scale, F32)))
        ka = self.key_range[0]
        if self.from_plus_zero:
            key = ir.apply("shr", ir.apply("asint", x), ir.const(self.shift, I32))
        else:
            key = ir.apply("shr", _key_program(x), ir.const(self.shift, I32))
        return ir.apply("isub", key, ir.const(ka >> self.shift, I32))

    def first_keys(self, starts: np.ndarray) -> np.ndarray:
        """For each cell index in starts, the key of the first float32 input of [a, b] whose cell
        is at least it (bisection on keys, vectorized; cell() is monotone in x)."""
        k0, k1 = self.key_range
        starts = np.asarray(starts, dtype=np.int64)
        lo = np.full(starts.shape, k0, dtype=np.int64)
        hi = np.full(starts.shape, k1 + 1, dtype=np.int64)
        while True:
            active = lo < hi
            if not active.any():
                return lo
            mid = (lo + hi) // 2
            ok = (self.cell(float_of(np.minimum(mid, k1))) >= starts) & (mid <= k1)
            hi = np.where(active & ok, mid, hi)
            lo = np.where(active & ~ok, mid + 1, lo)
