"""Exact constant values and their single, correct rounding to a float format.

Why: the language promises that a constant subexpression denotes its exact real value,
rounded once to the program's dtype. A constant is therefore held as a Fraction (exact)
or, for the values a Fraction cannot hold, as a float special: -0.0, +-inf, nan.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from .dtypes import FORMATS, INT_BITS, FloatFormat, wrap_int

Value = Fraction | float   # float only for -0.0, inf, -inf, nan
BoolValue = bool

MAX_BINARY_EXPONENT = 20000  # beyond 2**+-20000 a value rounds to 0 or inf in every format
_DECIMAL = re.compile(r"^(\d+\.?\d*|\.\d+)([eE]([+-]?\d+))?$")
MAX_DECIMAL_EXPONENT = 6000
MAX_LITERAL_DIGITS = 100_000  # significant digits of one literal (beyond: a clear error, not minutes)


def to_value(x) -> Value:
    """Make an exact constant value from an int, float, Fraction, numpy scalar, decimal text or mpf."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("booleans are not numeric constants")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, str):
        return decimal_value(x)
    if hasattr(x, "_mpf_"):
        return from_mpf(x)
    f = float(x)
    if math.isnan(f) or math.isinf(f):
        return f
    if f == 0.0 and math.copysign(1.0, f) < 0:
        return -0.0
    return Fraction(f)


_HEX = re.compile(r"0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)\Z")


def hex_value(text: str) -> Fraction:
    """The exact value of a C99 hex float literal such as '0x1.8p3' (12)."""
    m = _HEX.match(text)
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f"not a number: {text!r}")
    if len(m.group(3)) > 12 or abs(int(m.group(3))) > 4 * MAX_DECIMAL_EXPONENT:
        raise ValueError(f"number {text!r} is out of range")
    if len(m.group(1) + m.group(2)) > MAX_LITERAL_DIGITS:
        raise ValueError("hex literal too long")
    exponent = int(m.group(3)) - 4 * len(m.group(2))
    value = Fraction(int((m.group(1) + m.group(2)) or "0", 16))
    return value * 2 ** exponent if exponent >= 0 else value / 2 ** -exponent


def decimal_value(text: str) -> Fraction:
    """The exact value of a decimal literal such as '6.67430e-11' (or a hex float)."""
    if text[:2] in ("0x", "0X"):
        return hex_value(text)
    m = _DECIMAL.match(text)
    if not m:
        raise ValueError(f"not a number: {text!r}")
    if m.group(3) is not None and (len(m.group(3)) > 12 or abs(int(m.group(3))) > MAX_DECIMAL_EXPONENT):
        raise ValueError(f"number {text[:40]!r}... is out of range" if len(text) > 40
                         else f"number {text!r} is out of range")
    whole, _, frac = m.group(1).partition(".")
    digits = (whole + frac).lstrip("0")
    if len(digits) > MAX_LITERAL_DIGITS:
        raise ValueError(f"number with {len(digits):,} digits; exprc reads at most {MAX_LITERAL_DIGITS:,}")
    exponent = int(m.group(3) or 0) - len(frac)
    value = Fraction(_digits_to_int(digits or "0"))
    return value * 10 ** exponent if exponent >= 0 else value / 10 ** -exponent


def _digits_to_int(digits: str) -> int:
    """int(digits) for any length: Python refuses strings of over 4,300 digits in one go."""
    n = 0
    for k in range(0, len(digits), 4000):
        chunk = digits[k:k + 4000]
        n = n * 10 ** len(chunk) + int(chunk)
    return n


def from_mpf(x) -> Value:
    """Exact value of an mpmath mpf (a dyadic rational) or one of its specials."""
    import mpmath
    if mpmath.isnan(x):
        return math.nan
    if mpmath.isinf(x):
        return math.inf if x > 0 else -math.inf
    sign, man, exp, _ = x._mpf_
    man, exp = int(man), int(exp)      # mpmath may hand out gmpy2 integers
    if man == 0:
        return Fraction(0)
    if abs(exp) > MAX_BINARY_EXPONENT + 4096:
        return _saturate(-1 if sign else 1, exp > 0)
    v = Fraction(man) * (Fraction(2) ** exp)
    return -v if sign else v


def _saturate(sign: int, huge: bool) -> float:
    if huge:
        return math.inf if sign > 0 else -math.inf
    return 0.0 if sign > 0 else -0.0


def is_special(v) -> bool:
    return isinstance(v, float)


def in_exact_range(q: Fraction) -> bool:
    """Whether a Fraction is small enough in magnitude spread to keep folding exactly."""
    if q == 0:
        return True
    e = abs(q.numerator).bit_length() - q.denominator.bit_length()
    return abs(e) <= MAX_BINARY_EXPONENT


def round_fraction(q: Fraction, fmt: FloatFormat) -> float:
    """Round an exact rational to the nearest value of fmt (ties to even), subnormals included.

    Returns a Python float holding the exactly representable result (float64 holds every
    float32 value exactly)."""
    if q == 0:
        return 0.0
    sign = -1.0 if q < 0 else 1.0
    n, d = abs(q.numerator), q.denominator
    e = n.bit_length() - d.bit_length()          # 2**e <= n/d < 2**(e+2)
    if (n << max(0, -e)) < (d << max(0, e)):      # make 2**e <= n/d < 2**(e+1)
        e -= 1
    if e > fmt.emax:
        return sign * math.inf
    quantum = max(e, fmt.emin) - (fmt.precision - 1)   # exponent of the last significand bit
    num, den = (n << max(0, -quantum)), (d << max(0, quantum))
    m, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and (m & 1)):
        m += 1
    if m == 0:
        return sign * 0.0
    if m.bit_length() + quantum > fmt.emax + 1:   # rounding carried past the largest finite
        return sign * math.inf
    return sign * math.ldexp(float(m), quantum)


def round_value(v: Value, dtype: str):
    """The numpy scalar of dtype that a constant of exact value v denotes."""
    if dtype in INT_BITS:           # integer constants are whole numbers, wrapped to the width
        return np.dtype(dtype).type(wrap_int(int(v), dtype))
    fmt = FORMATS[dtype]
    if isinstance(v, float):
        return fmt.np_type(v)
    return fmt.np_type(round_fraction(v, fmt))


def value_key(v) -> tuple:
    """A hashable key that tells -0.0 from 0 and treats every nan alike (for hash-consing)."""
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, float):
        if math.isnan(v):
            return ("f", "nan")
        return ("f", repr(v))
    return ("q", v.numerator, v.denominator)


def value_to_float(v: Value) -> float:
    """Nearest float64 (for display and heuristics, never for semantics)."""
    if isinstance(v, float):
        return v
    return round_fraction(v, FORMATS["float64"])


def exact_decimal(q: Fraction, max_len: int = 40) -> str | None:
    """The finite decimal expansion of a nonnegative rational, if it has a short one."""
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    k = max(twos, fives)
    if k == 0 and q.numerator.bit_length() > 4 * max_len + 64:
        n, zeros = q.numerator, 0          # a large integer: short in scientific form (7e114)?
        while n % 10 == 0 and zeros < 400:
            n //= 10
            zeros += 1
        if zeros and n.bit_length() <= 4 * max_len:
            digits = str(n)
            return _scientific(digits, len(digits) - 1 + zeros)
        return None
    if k > 4 * max_len or q.numerator.bit_length() > 4 * max_len + 64:
        return None          # more than max_len digits whatever the layout
    scaled = q.numerator * 10 ** k // q.denominator    # q == scaled / 10**k exactly
    digits = str(scaled)
    if k == 0:
        stripped = digits.rstrip("0")
        zeros = len(digits) - len(stripped)
        text = digits if zeros <= 3 or len(digits) <= 16 else _scientific(stripped, len(digits) - 1)
    else:
        padded = digits.rjust(k + 1, "0")
        plain = padded[:-k] + "." + padded[-k:]
        sig = digits.lstrip("0")
        exp10 = len(digits) - 1 - k
        text = plain if len(plain) <= max(len(sig) + 8, 12) else _scientific(sig.rstrip("0"), exp10)
    if len(text) > max_len:
        return None
    assert Fraction(text) == q
    return text


def _scientific(mantissa_digits: str, exp10: int) -> str:
    m = mantissa_digits or "0"
    return m[0] + ("." + m[1:] if len(m) > 1 else "") + f"e{exp10}"


def format_value(v: Value) -> str:
    """Text for a constant that parses back to exactly this value (given constant folding)."""
    if isinstance(v, bool):
        return "(0 < 1)" if v else "(1 < 0)"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return "-0.0"
    sign = "-" if v < 0 else ""
    a = abs(v)
    dec = exact_decimal(a)
    if dec is not None:
        return sign + dec
    return f"{sign}({int_text(a.numerator)}/{int_text(a.denominator)})"


def int_text(n: int) -> str:
    """str(n) for an integer of any length (Python refuses over 4,300 digits in one go)."""
    if n.bit_length() < 13_000:
        return str(n)
    hi, lo = divmod(n, 10 ** 3000)
    return int_text(hi) + str(lo).rjust(3000, "0")


def shortest_repr(v: Value, dtype: str) -> str:
    """The shortest decimal that rounds to the same dtype value (for people, not round-trips)."""
    x = round_value(v, dtype) if not isinstance(v, bool) else v
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    return np.format_float_positional(x, unique=True, trim="-") if 1e-5 <= abs(float(x)) < 1e16 or x == 0 \
        else np.format_float_scientific(x, unique=True, trim="-")
