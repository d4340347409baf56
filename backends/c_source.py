"""Emit a Program as portable C99 a user can drop into their project.

The code keeps exprc's strict semantics when compiled without -ffast-math and with
-ffp-contract=off (the header says so): every op is one C operation or one libm call, and
min/max are spelled out to propagate NaN and order -0 below +0 as the other backends do.
"""
from __future__ import annotations

import math

import re
from exprc import ir, ops
from exprc.dtypes import BOOL
from exprc.numbers import round_value
from exprc.program import Program

_CTYPE = {"float32": "float", "float64": "double", BOOL: "unsigned char", "int32": "int32_t", "int64": "int64_t"}
_WIDTH = {"float32": 32, "float64": 64, "int32": 32, "int64": 64}

_BIT_HELPERS = """\
static inline int32_t exprc_asintf(float a) {{ int32_t i; memcpy(&i, &a, 4); return i; }}
static inline int64_t exprc_asint(double a) {{ int64_t i; memcpy(&i, &a, 8); return i; }}
static inline float exprc_asfloatf(int32_t i) {{ float a; memcpy(&a, &i, 4); return a; }}
static inline double exprc_asfloat(int64_t i) {{ double a; memcpy(&a, &i, 8); return a; }}
static inline int32_t exprc_tointf(float a) {{    /* truncating, saturating, NaN -> 0 */
    return a != a ? 0 : a >= 2147483648.0f ? INT32_MAX : a < -2147483648.0f ? INT32_MIN : (int32_t)a;
}}
static inline int64_t exprc_toint(double a) {{
    return a != a ? 0 : a >= 0x1p63 ? INT64_MAX : a < -0x1p63 ? INT64_MIN : (int64_t)a;
}}
"""

_HELPERS = """\
static inline {t} exprc_minimum{f}({t} a, {t} b) {{
    if (a != a || b != b) return a + b;          /* NaN propagates */
    if (a == b) return signbit(a) ? a : b;       /* -0 is below +0 */
    return a < b ? a : b;
}}
static inline {t} exprc_maximum{f}({t} a, {t} b) {{
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}}
"""


def _literal(node: ir.Node) -> str:
    if node.dtype == BOOL:
        return "1" if node.value else "0"
    if node.dtype in _CTYPE and node.dtype.startswith("int"):
        v = int(round_value(node.value, node.dtype))
        lo = -(1 << (_WIDTH[node.dtype] - 1))
        return f"({_CTYPE[node.dtype]})({v + 1} - 1)" if v == lo else f"(({_CTYPE[node.dtype]}){v})"
    x = float(round_value(node.value, node.dtype))
    suffix = "f" if node.dtype == "float32" else ""
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "(-INFINITY)"
    text = x.hex()
    return f"({text}{suffix})" if text.startswith("-") else f"{text}{suffix}"


_C_RESERVED = set("""auto break case char const continue default do double else enum extern float for
goto if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while params n i NAN INFINITY signbit size_t""".split())


def _identifier(name: str) -> str:
    """A C identifier for a variable that cannot clash with keywords, libm or our temporaries."""
    clash = (name in _C_RESERVED or re.fullmatch(r"(t|out)\d+", name) or name.startswith("exprc_")
             or any(name in (o.name, o.name + "f") or (o.c and o.c.startswith(name + "{f}("))
                    for o in ops.REGISTRY.values()))
    return "v_" + name if clash else name


def emit_c(program: Program, name: str = "exprc_eval") -> str:
    """C source with a scalar function `name` and an array loop `name`_array."""
    p = program.expanded("c")
    t = _CTYPE[p.dtype]
    f = "f" if p.dtype == "float32" else ""
    args = [f"{t} {_identifier(v)}" for v in p.variables]
    if p.parameters:
        args.append(f"const {t} *params")
    single = len(p.outputs) == 1
    body, names, tables = [], {}, []
    pindex = {n: k for k, n in enumerate(p.parameters)}
    for k, n in enumerate(p.schedule()):
        if n.op == ir.VAR:
            names[id(n)] = _identifier(n.value)
        elif n.op == ir.PARAM:
            names[id(n)] = f"params[{pindex[n.value]}] /* ${n.value} */"
        elif n.op == ir.CONST:
            names[id(n)] = _literal(n)
        elif n.op == "table":
            tname = f"exprc_table{len(tables)}"
            entries = ", ".join(_literal(ir.const(v, n.dtype)) for v in n.value)
            tables.append(f"static const {_CTYPE[n.dtype]} {tname}[{len(n.value)}] = {{{entries}}};")
            i, last = names[id(n.args[0])], len(n.value) - 1
            body.append(f"    const {_CTYPE[n.dtype]} t{k} = {tname}[{i} < 0 ? 0 : {i} > {last} ? {last} : {i}];")
            names[id(n)] = f"t{k}"
        else:
            op = ops.REGISTRY[n.op]
            # float64 work inside float32, integers of one width: the names of that width
            width = _WIDTH[ir.float_dtype(n.args[0] if op.kind in ops.BIT_KINDS else n, p.dtype)]
            expr = op.c.format(*[names[id(a)] for a in n.args], f="f" if width == 32 else "",
                               t=_CTYPE[n.dtype], i=f"int{width}_t", u=f"uint{width}_t", m=width - 1)
            body.append(f"    const {_CTYPE[n.dtype]} t{k} = {expr};")
            names[id(n)] = f"t{k}"
    outs = [f"{_CTYPE[o.dtype]} *out{k}" for k, o in enumerate(p.outputs)]
    shown = "; ".join(str(o) if o.size < 200 else f"<{o.size}-node expression>" for o in program.outputs)
    lines = [
        f"/* Generated by exprc from: {shown.replace('*/', '* /')}",
        f" * dtype {p.dtype}; strict IEEE semantics: compile WITHOUT -ffast-math and WITH",
        " * -ffp-contract=off, so that every rounding happens exactly as written. */",
        "#include <math.h>",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <string.h>",
        "",
        _HELPERS.format(t=_CTYPE[p.dtype], f=f),
        _BIT_HELPERS.format(),
    ] + tables
    if p.dtype == "float32" and any(n.dtype == "float64" for n in p.schedule()):
        lines.append(_HELPERS.format(t="double", f=""))
    if single:
        o = p.outputs[0]
        lines.append(f"{_CTYPE[o.dtype]} {name}({', '.join(args) or 'void'}) {{")
        lines += body
        lines += [f"    return {names[id(o)]};", "}", ""]
    else:
        lines.append(f"void {name}({', '.join(args + outs)}) {{")
        lines += body
        lines += [f"    *out{k} = {names[id(o)]};" for k, o in enumerate(p.outputs)]
        lines += ["}", ""]
    arr_args = ["size_t n"] + [f"const {t} *restrict {_identifier(v)}" for v in p.variables]
    if p.parameters:
        arr_args.append(f"const {t} *params")
    arr_args += [f"{_CTYPE[o.dtype]} *restrict out{k}" for k, o in enumerate(p.outputs)]
    call = [f"{_identifier(v)}[i]" for v in p.variables] + (["params"] if p.parameters else [])
    lines.append(f"void {name}_array({', '.join(arr_args)}) {{")
    lines.append("    for (size_t i = 0; i < n; ++i)")
    if single:
        lines.append(f"        out0[i] = {name}({', '.join(call)});")
    else:
        lines.append(f"        {name}({', '.join(call + [f'&out{k}[i]' for k in range(len(p.outputs))])});")
    lines += ["}", ""]
    return "\n".join(lines)
