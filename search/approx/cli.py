"""`exprc approx`, added to `exprc` by search/cli.py.

`exprc approx FUNC --interval A B --max-ops N --time S -o DIR [--whole]` runs the
approximation search with a progress bar showing the Pareto front as it moves, and writes
front.json, the code files, report.md and front.png into DIR.

`exprc approx EXPR --interval A B --piecewise --max-ulp U --degree D` replaces an expression in x
(or a function name) by a piecewise polynomial program with adaptive knots, proven within U ULPs
on every float32 input of [A, B] (search/approx/piecewise/).

`exprc approx --library [FUNC ...]` regenerates exprc's own correctly rounded float32
functions (search/approx/library.py): fit, time, prove over every input, write
exprc/mathlib/float32.json.
"""
from __future__ import annotations

import sys
import time


def register(sub) -> None:
    p = sub.add_parser("approx", help="discover a float32 approximation of a function, proven exhaustively")
    p.add_argument("function", nargs="?", help="a one-argument exprc function: exp2, exp, log2, log, ...; "
                                               "with --piecewise also any exprc expression in x")
    p.add_argument("--library", nargs="*", metavar="FUNC", default=None,
                   help="regenerate exprc's own float32 functions (all, or those named: exp exp2 log log2), "
                        "each proved correctly rounded over every float32 input")
    p.add_argument("--interval", nargs=2, type=float, metavar=("A", "B"),
                   help="approximate on [A, B] (omit with --whole)")
    p.add_argument("--whole", action="store_true",
                   help="search the core of a whole function behind a range-reduction template")
    p.add_argument("--piecewise", action="store_true",
                   help="a piecewise polynomial with adaptive knots (table-driven), proven within --max-ulp")
    p.add_argument("--max-ulp", type=float, default=1.0, help="with --piecewise: the error target in ULPs")
    p.add_argument("--degree", type=int, default=4, help="with --piecewise: the polynomial degree of each piece")
    p.add_argument("--knots", nargs="+", metavar="METHOD", default=None,
                   help="with --piecewise: knot methods to try (default all): adaptive-x adaptive-bits uniform-x uniform-bits")
    p.add_argument("--no-symmetry", action="store_true",
                   help="with --piecewise: fit both halves of an even or odd function (default: pieces for |x| only)")
    p.add_argument("--dtype", default="f32", choices=["f32", "float32", "f64", "float64"],
                   help="float32 (proofs exhaustive); float64 only with --piecewise (checked on a sample)")
    p.add_argument("--max-ops", type=int, default=10)
    p.add_argument("--time", type=float, default=None,
                   help="time limit in seconds for the whole run (baselines, search, refinement, proofs; default 600); "
                        "a proof that cannot finish in it leaves its point marked sampled. With --piecewise: none unless "
                        "given, and a proof that cannot finish in it leaves that method unproven")
    p.add_argument("--prove-all", action="store_true",
                   help="finish every proof, even past --time (each is about 1 s per 1e9 inputs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--population", type=int, default=120)
    p.add_argument("--checkpoint", help="checkpoint file: resume from it if present, save to it")
    p.add_argument("-o", "--output", default="approx_result", help="result directory")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_approx)


def _front_text(front: list[tuple[int, float]]) -> str:
    best: dict[int, float] = {}
    for ops, err in front:
        best[ops] = min(err, best.get(ops, float("inf")))
    return "  ".join(f"{n} ops: {e:.3g}" for n, e in sorted(best.items())) or "(empty)"


def cmd_library(names: list[str]) -> int:
    from exprc.errors import ExprcError
    from . import library
    known = [*library.SPECS, *library.SPECS64]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ExprcError(f"--library knows {', '.join(known)}; not {', '.join(unknown)}")
    say = lambda line: print(line, flush=True)   # noqa: E731
    names32 = [n for n in names or library.SPECS if n in library.SPECS]
    data = library.generate(names32, log=say) if names32 else {}
    data64 = library.generate(names or known, log=say, dtype="float64")
    for name in names or known:
        if name in names32:
            e = data[name]
            print(f"{name} float32: {1 << e['bits']} table entries, degree {len(e['poly']) - 1}, {len(e['exceptions'])} "
                  f"exceptions, {e['proof']['not_correctly_rounded']} of {e['proof']['inputs_judged']:,} inputs not "
                  f"correctly rounded, {e['ns_per_element']} ns/element")
        e64 = data64[name]
        table = f"{1 << e64['bits']} table entries" if e64["bits"] else "no table"
        print(f"{name} float64: {table}, polynomial degree {len(e64['poly']) - 1}, max "
              f"{e64['proof']['max_ulp']:.3f} ULP on {e64['proof']['sampled']:,} sampled inputs, "
              f"{e64['ns_per_element']} ns/element")
    print(f"wrote {library.DATA_PATH} and {library.DATA_PATHS['float64']}")
    return 0


def cmd_approx(args) -> int:
    from exprc.errors import ExprcError
    from .driver import approximate
    if args.library is not None:
        return cmd_library(args.library)
    if args.function is None:
        raise ExprcError("name a function to approximate, or give --library")
    if args.piecewise:
        return cmd_piecewise(args)
    if args.dtype in ("f64", "float64"):
        raise ExprcError("--dtype float64 is supported with --piecewise only")
    if args.interval is None and not args.whole:
        raise ExprcError("give --interval A B, or --whole for a whole function")
    if args.max_ops < 1:
        raise ExprcError("--max-ops must be at least 1")
    args.time = 600.0 if args.time is None else args.time
    progress, finish = _progress(args.quiet, args.time)
    try:
        result = approximate(args.function, tuple(args.interval) if args.interval else None,
                             max_ops=args.max_ops, time_limit=args.time, seed=args.seed,
                             population_size=args.population, whole=args.whole, out_dir=args.output,
                             checkpoint=args.checkpoint, progress=progress,
                             prove_all=args.prove_all)
    finally:
        finish()
    from .report import pareto_table
    print(pareto_table(result))
    best = result.best()
    if best is not None:
        print(f"best: {best.ops} ops, {best.max_ulp:.4g} ULP ({best.verified}): {best.program}")
    if result.unproven:
        print(f"{result.unproven} proof(s) did not finish within --time {args.time:g}: those points are sampled")
    print(f"wrote {args.output}/front.json, report.md, front.png, best.{{exprc,c,ll}}, best_triton.py")
    return 0


def cmd_piecewise(args) -> int:
    from exprc.errors import ExprcError
    from .piecewise import approximate_piecewise
    from .piecewise.report import methods_table
    if args.interval is None:
        raise ExprcError("--piecewise needs --interval A B")
    methods = args.knots
    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    result = approximate_piecewise(args.function, tuple(args.interval), max_ulp=args.max_ulp, degree=args.degree,
                                   methods=methods, seed=args.seed, out_dir=args.output, log=say,
                                   symmetry=not args.no_symmetry, dtype=args.dtype, time_limit=args.time)
    print(methods_table(result))
    best = result.best()
    if best is None:
        if any(m.proof is None for m in result.methods):
            print(f"the proofs did not finish within --time {args.time:g} s: give more time (or none)")
        else:
            print(f"no knot method reached {args.max_ulp:g} ULP at degree {args.degree}: try a higher --degree")
        return 1
    how = "proven over" if best.proof.exhaustive else "on a sample of"
    print(f"best: {best.method}, {best.knots.count} pieces, max {best.proof.max_ulp:.4g} ULP {how} "
          f"{best.proof.count:,} inputs, {best.ns_per_element} ns/element (original {result.original_ns} ns)")
    print(f"wrote {args.output}/front.json, pieces.json, report.md, error.png, best.{{exprc,c,ll}}, best_triton.py")
    return 0


def _progress(quiet: bool, total: float):
    """A rich progress bar whose description is the current front; plain lines off a TTY."""
    if quiet:
        return None, lambda: None
    if not sys.stderr.isatty():
        last = [0.0]

        def plain(d):
            if time.monotonic() - last[0] > 5:
                last[0] = time.monotonic()
                print(f"[{d['elapsed']:.0f}s gen {d['generation']}] front: {_front_text(d['front'])}",
                      file=sys.stderr, flush=True)
        return plain, lambda: None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    bar = Progress(TextColumn("gen {task.fields[gen]}"), BarColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[front]}"), transient=False)
    task = bar.add_task("search", total=total, gen=0, front="")
    bar.start()

    def update(d):
        bar.update(task, completed=min(d["elapsed"], total), gen=d["generation"], front=_front_text(d["front"]))
    return update, bar.stop
