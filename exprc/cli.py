"""The `exprc` command line: compile, eval, ops, demo (fit and approx join as their drivers land).

Bad input never prints a traceback: the message is one line on stderr and the exit code is 2.
"""
from __future__ import annotations

import argparse
import re
import os
import sys
from pathlib import Path

import numpy as np

from . import ops
from . import ir
from .errors import ExprcError, ParseError


class CliError(Exception):
    """A user error the CLI reports in one line."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # -1e3 and -inf are numbers (--range x -1e3 1e3), not options
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-inf$")

    def error(self, message):  # one line and exit 2, instead of usage + message
        raise CliError(message)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ParseError):
        return exc.one_line
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ----------------------------------------------------------------------------- commands

def _emit(args) -> str:
    from .api import compile as compile_expr
    from .backends.c_source import emit_c
    params = [p for p in (args.params or "").split(",") if p]
    from .api import is_fpcore
    if args.dtype is None:              # FPCore text brings its :precision; else float32
        from .fpcore import from_fpcore
        args.dtype = from_fpcore(args.expr).precision if is_fpcore(args.expr) else "f32"
    if args.emit == "fpcore":
        from .api import to_node
        from .fpcore import from_fpcore, to_fpcore
        if params:
            raise ExprcError("FPCore has no parameters: --params cannot be emitted as FPCore")
        if is_fpcore(args.expr):
            core = from_fpcore(args.expr, dtype=args.dtype)
            return to_fpcore(core.node, core.variables, core.name)
        return to_fpcore(to_node(args.expr, dtype=args.dtype))
    backend = "triton" if args.emit in ("triton", "ptx") else ("numpy" if args.emit == "c" else "llvm")
    k = compile_expr(args.expr, dtype=args.dtype, backend=backend, fastmath=args.fastmath,
                     optimize=args.opt, parameters=params or None)
    if args.emit == "c":
        return emit_c(k.program)
    return k.source(args.emit)


def cmd_compile(args) -> int:
    text = _emit(args)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def load_table(path: str) -> dict[str, np.ndarray]:
    """Columns by name from .csv (header row), .npz (arrays by name), or .npy (structured array,
    or 2-D with columns in variable order, returned under integer keys)."""
    p = Path(path)
    if not p.exists():
        raise CliError(f"no such file: {path}")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        import csv
        delim = "\t" if suffix == ".tsv" else ","
        with open(p, newline="", encoding="utf-8-sig") as fh:    # -sig: drop a byte-order mark
            rows = list(csv.reader(fh, delimiter=delim))
        if not rows:
            raise CliError(f"{path} is empty")
        if not any(rows[1:]):
            raise CliError(f"{path} has a header but no data rows")
        header = [h.strip() for h in rows[0]]
        try:
            data = np.array([[float(x) for x in r] for r in rows[1:] if r], dtype=np.float64)
        except ValueError as exc:
            raise CliError(f"{path}: non-numeric value ({exc})") from None
        if data.size and data.shape[1] != len(header):
            raise CliError(f"{path}: rows have {data.shape[1]} fields but the header names {len(header)}")
        data = data.reshape(-1, len(header))
        return {h: data[:, k] for k, h in enumerate(header)}
    if suffix == ".npz":
        with np.load(p) as z:
            return {k: z[k] for k in z.files}
    if suffix == ".npy":
        a = np.load(p, allow_pickle=False)
        if a.dtype.names:
            return {n: a[n] for n in a.dtype.names}
        if a.ndim == 0:
            raise CliError(f"{path} holds a single value (a 0-d array); eval needs columns")
        a = a.reshape(len(a), -1) if a.ndim == 1 else a
        return {k: a[:, k] for k in range(a.shape[1])}
    raise CliError(f"unsupported data file {path}: use .csv, .npy or .npz")


def _columns_for(names, table: dict, path: str) -> list[np.ndarray]:
    cols = []
    for k, n in enumerate(names):
        if n in table:
            cols.append(table[n])
        elif k in table:
            cols.append(table[k])
        else:
            have = ", ".join(str(c) for c in table)
            raise CliError(f"{path} has no column {n!r} (columns: {have})")
    return cols


def write_column(path: str, name: str, values: np.ndarray) -> None:
    p = Path(path)
    if p.suffix.lower() == ".npy":
        np.save(p, values)
    else:
        with open(p, "w") as fh:
            fh.write(name + "\n")
            fh.writelines(f"{repr(float(v))}\n" for v in np.ravel(values))


def cmd_eval(args) -> int:
    from .api import compile as compile_expr
    from .parser import names_read
    table = load_table(args.data)
    # a column named e or pi is that column, as a bound name is in exprc.evaluate
    names = [n for n in names_read(args.expr) if n not in ops.CONSTANT_NAMES or n in table]
    k = compile_expr(args.expr, dtype=args.dtype, backend=args.backend, variables=names)
    cols = _columns_for(k.variables, table, args.data)
    result = np.asarray(k(*cols))
    if args.output:
        write_column(args.output, "result", result)
    else:
        out = sys.stdout
        for v in np.ravel(result):
            out.write(f"{v!r}\n" if result.dtype == np.bool_ else f"{float(v)!r}\n")
    return 0


def cmd_ops(args) -> int:
    from .docs import ops_table
    print(ops_table())
    return 0


def _float_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CliError(f"not a number: {text!r}") from None


def cmd_improve(args) -> int:
    from .accurate import improve_report
    from .api import is_fpcore
    from .fpcore import from_fpcore, to_fpcore
    ranges, expr, variables, name = {}, args.expr, None, None
    dtype = args.dtype
    if is_fpcore(expr):
        core = from_fpcore(expr, dtype=dtype)
        expr, variables, name, dtype = core.node, core.variables, core.name, core.precision
        used = set(ir.leaf_names([core.node], ir.VAR))
        ranges.update({k: v for k, v in core.ranges.items() if k in used})   # :pre may bound unused args
    dtype = dtype or "f64"
    for var_name, lo, hi in args.range or ():
        lo_v, hi_v = _float_arg(lo), _float_arg(hi)
        if not lo_v <= hi_v:
            raise CliError(f"--range {var_name}: {lo} is not below {hi}")
        ranges[var_name] = (lo_v, hi_v)
    rep = improve_report(expr, dtype=dtype, ranges=ranges, points=args.points, seed=args.seed,
                         time_limit=args.time)
    if args.fpcore:
        print(to_fpcore(rep.node, variables, name))
    else:
        print(rep.node)
    where = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in rep.ranges.items()) or "default ranges"
    print(f"# {rep.dtype}, {rep.before.points} sampled points ({where})", file=sys.stderr)
    print(f"# before: {rep.before}; cost {rep.cost_before}", file=sys.stderr)
    print(f"# after:  {rep.after}; cost {rep.cost_after}" + ("" if rep.improved else " (unchanged)"),
          file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo
    return run_demo(rows=args.rows)


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="exprc", description="Compile mathematical expressions to fast, exact kernels.")
    sub = ap.add_subparsers(dest="command", parser_class=_Parser)

    c = sub.add_parser("compile", help="print the compiled kernel's code")
    c.add_argument("expr")
    c.add_argument("--dtype", default=None, help="f32 or f64 (default f32; FPCore text: its :precision)")
    c.add_argument("--emit", default="llvm", choices=["llvm", "llvm-opt", "asm", "c", "triton", "ptx", "fpcore"])
    c.add_argument("-o", "--output")
    c.add_argument("--fastmath", action="store_true")
    c.add_argument("-O", dest="opt", type=int, default=2, choices=[0, 1, 2])
    c.add_argument("--params", help="comma-separated names to treat as runtime parameters")
    c.set_defaults(func=cmd_compile)

    e = sub.add_parser("eval", help="evaluate on columns of a data file")
    e.add_argument("expr")
    e.add_argument("--data", required=True, help=".csv with a header row, .npy or .npz")
    e.add_argument("-o", "--output", help=".npy or .csv (default: print one value per line)")
    e.add_argument("--dtype", default="f64")
    e.add_argument("--backend", default="llvm", choices=["llvm", "numpy"])
    e.set_defaults(func=cmd_eval)

    im = sub.add_parser("improve", help="rewrite an expression to be more accurate on input ranges")
    im.add_argument("expr", help="exprc text or an (FPCore ...) whose :pre gives ranges")
    im.add_argument("--range", nargs=3, action="append", metavar=("NAME", "LO", "HI"),
                    help="the inputs to be accurate on (default: +-1e300 in f64, +-1e37 in f32)")
    im.add_argument("--dtype", default=None, help="f64 or f32 (default f64; FPCore text: its :precision)")
    im.add_argument("--points", type=int, default=256, help="sampled inputs (default 256)")
    im.add_argument("--seed", type=int, default=0)
    im.add_argument("--time", type=float, default=30.0, help="seconds to spend at most (about)")
    im.add_argument("--fpcore", action="store_true", help="print the result as FPCore")
    im.set_defaults(func=cmd_improve)

    o = sub.add_parser("ops", help="list the supported operations")
    o.set_defaults(func=cmd_ops)

    d = sub.add_parser("demo", help="compile an expression, show its code and time it against numpy")
    d.add_argument("--rows", type=int, default=1_000_000)
    d.set_defaults(func=cmd_demo)

    _register_drivers(sub)
    return ap


def _register_drivers(sub) -> None:
    """Subcommands contributed by the search drivers (fit, predict, approx), when installed."""
    try:
        from .search import cli as search_cli
    except ImportError:
        return
    search_cli.register(sub)


def main(argv=None) -> int:
    try:
        ap = build_parser()
        args = ap.parse_args(argv)
        if not getattr(args, "func", None):
            ap.print_help()
            return 2
        return args.func(args)
    except (ExprcError, CliError, OSError, ValueError) as exc:
        print(f"exprc: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("exprc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for users; EXPRC_DEBUG=1 shows it
        if os.environ.get("EXPRC_DEBUG"):
            raise
        print(f"exprc: internal error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
