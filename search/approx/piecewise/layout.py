"""Where an input's piece comes from: a cell index computed from x, in numpy and as exprc IR.

Two coordinates make a table lookup cheap (the issue's two layouts):

* ``x``: cell = toint((x - a) * s), s = cells / (b - a) rounded to the dtype. Uniform in value.
* ``bits``: cell = (key(x) >> shift) - (key(a) >> shift), key(x) the float's bits made monotone
  (negative floats have their bits but the sign flipped). Uniform in exponent and mantissa bits: every
  binade gets the same number of cells, so tiny and huge magnitudes are both covered.

The dtype is float32 (int32 keys) or float64 (int64 keys). A piece is a run of consecutive
cells; adaptive knots split runs in half, uniform knots make every cell its own piece. Both
coordinates are monotone in x, so a piece's inputs are one contiguous range of keys, found here
by bisection on the same arithmetic the program does (the numpy emulation is bit-identical to
the program: IEEE sub and mul in the dtype, truncation, integer shifts), so inputs that round
into a neighbouring cell are judged with the piece that gets them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exprc import ir

F32 = "float32"
INT_OF = {"float32": "int32", "float64": "int64"}                 # the integer type of a float's bits
_BITS = {"float32": (np.int32, np.uint32, 32), "float64": (np.int64, np.uint64, 64)}
FLOOR_BINADES = 64           # float64 bits layouts: binades below b that get cells of their own


def width(dtype: str) -> int:
    """Bits of a float of dtype (and of its integer twin)."""
    return _BITS[dtype][2]


def key_of(x: np.ndarray, dtype: str = F32) -> np.ndarray:
    """The monotone integer key of dtype values (int64): bits for x >= +0, -1 - (the bits but
    the sign) for x <= -0, so -0.0 -> -1 and +0.0 -> 0."""
    signed, _, width = _BITS[dtype]
    b = np.asarray(x, dtype=dtype).view(signed).astype(np.int64)
    return np.where(b >= 0, b, -1 - (b & np.int64((1 << (width - 1)) - 1)))


def float_of(key: np.ndarray, dtype: str = F32) -> np.ndarray:
    """The dtype values of monotone keys (the inverse of key_of)."""
    _, unsigned, width = _BITS[dtype]
    k = np.asarray(key, dtype=np.int64)
    bits = np.where(k >= 0, k, (-1 - k) | np.int64(-(1 << (width - 1))))
    return bits.astype(unsigned).view(dtype)


def _key_program(x: ir.Node, dtype: str) -> ir.Node:
    """key_of in integer IR: asint(x) ^ ((asint(x) >> (width - 1)) & (the bits but the sign))."""
    i, w = INT_OF[dtype], width(dtype)
    m = ir.apply("asint", x)
    mask = ir.apply("iand", ir.apply("shr", m, ir.const(w - 1, i)), ir.const((1 << (w - 1)) - 1, i))
    return ir.apply("ixor", m, mask)


@dataclass(frozen=True)
class Layout:
    """A cell coordinate over [a, b]: `cells` cells, computed as the program computes them."""
    kind: str          # "x" or "bits"
    a: float           # endpoints, numbers of the dtype
    b: float
    cells: int
    scale: float = 0.0     # kind x: the multiplier, a number of the dtype
    shift: int = 0         # kind bits: key bits dropped
    dtype: str = F32
    origin: float | None = None   # kind bits: where cell 0 starts its own cells (None: at a)

    @staticmethod
    def uniform_x(a: float, b: float, cells: int, dtype: str = F32) -> "Layout":
        a, b = (float(np.asarray(v, dtype=dtype)) for v in (a, b))
        return Layout("x", a, b, cells, scale=float(np.asarray(cells / (b - a), dtype=dtype)), dtype=dtype)

    @staticmethod
    def uniform_bits(a: float, b: float, shift: int, dtype: str = F32) -> "Layout":
        """Cells of 2**shift keys. A float64 interval from 0 (or from below b 2**-FLOOR_BINADES)
        starts its cells at that floor: below it, one cell, where a function is its constant or
        linear term to float64 precision (otherwise the ~1,000 binades down to 5e-324 would
        take nearly every cell)."""
        a, b = (float(np.asarray(v, dtype=dtype)) for v in (a, b))
        origin = None
        if dtype == "float64" and a >= 0 and b > 0 and a < b * 2.0 ** -FLOOR_BINADES:
            origin = b * 2.0 ** -FLOOR_BINADES
        ka, kb = (int(key_of(np.asarray([v], dtype=dtype), dtype)[0]) for v in (a if origin is None else origin, b))
        return Layout("bits", a, b, (kb >> shift) - (ka >> shift) + 1, shift=shift, dtype=dtype, origin=origin)

    @property
    def origin_key(self) -> int:
        """The key cell indices count from (bits)."""
        start = self.a if self.origin is None else self.origin
        return int(key_of(np.asarray([start], dtype=self.dtype), self.dtype)[0])

    @property
    def from_plus_zero(self) -> bool:
        """[+0 or more, b]: the key is the float's bits (a negative x outside the interval has
        negative integer bits, so cell 0 after clamping)."""
        return not np.signbit(self.a)

    @property
    def key_range(self) -> tuple[int, int]:
        """Keys of the first and last input of [a, b]."""
        k = key_of(np.asarray([self.a, self.b], dtype=self.dtype), self.dtype)
        return int(k[0]), int(k[1])

    def cell(self, x: np.ndarray) -> np.ndarray:
        """The cell of each input (int64), clamped into [0, cells) as the table clamps."""
        x = np.asarray(x, dtype=self.dtype)
        if self.kind == "x":
            with np.errstate(invalid="ignore", over="ignore"):
                v = (x - x.dtype.type(self.a)) * x.dtype.type(self.scale)
                c = np.trunc(np.nan_to_num(v, nan=0.0, posinf=2.0 ** 31, neginf=-2.0 ** 31))
            # (toint saturates at the integer type's range; clamped to the cells, +-2**31 is the same)
            c = np.clip(c, -2.0 ** 31, 2.0 ** 31 - 1).astype(np.int64)
        else:
            key = x.view(_BITS[self.dtype][0]).astype(np.int64) if self.from_plus_zero else key_of(x, self.dtype)
            c = (key >> self.shift) - (self.origin_key >> self.shift)
        return np.clip(c, 0, self.cells - 1)

    def program(self, x: ir.Node) -> ir.Node:
        """The cell index of x as integer IR (the table op clamps it)."""
        i = INT_OF[self.dtype]
        if self.kind == "x":
            d = ir.apply("sub", x, ir.const(self.a, self.dtype))
            return ir.apply("toint", ir.apply("mul", d, ir.const(self.scale, self.dtype)))
        key = ir.apply("asint", x) if self.from_plus_zero else _key_program(x, self.dtype)
        key = ir.apply("shr", key, ir.const(self.shift, i))
        return ir.apply("isub", key, ir.const(self.origin_key >> self.shift, i))

    def first_keys(self, starts: np.ndarray) -> np.ndarray:
        """For each cell index in starts, the key of the first input of [a, b] whose cell
        is at least it (bisection on keys, vectorized; cell() is monotone in x)."""
        k0, k1 = self.key_range
        starts = np.asarray(starts, dtype=np.int64)
        lo = np.full(starts.shape, k0, dtype=np.int64)
        hi = np.full(starts.shape, k1 + 1, dtype=np.int64)
        while True:
            active = lo < hi
            if not active.any():
                return lo
            mid = (lo & hi) + ((lo ^ hi) >> 1)        # floor((lo + hi) / 2) without overflow: float64
            # keys span nearly all of int64, so lo + hi and hi - lo both overflow across 0
            ok = (self.cell(float_of(np.minimum(mid, k1), self.dtype)) >= starts) & (mid <= k1)
            hi = np.where(active & ok, mid, hi)
            lo = np.where(active & ~ok, mid + 1, lo)
