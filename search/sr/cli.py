"""`exprc fit` and `exprc predict`: symbolic regression on the command line.

    exprc fit data.csv --target y --time 60 -o model.json    # prints the Pareto front
    exprc predict model.json data.csv [-o out.csv]            # one prediction per row

model.json holds the variables, the target name, every equation of the front (complexity,
loss, expression text) and the index of the best one; `predict` compiles the best equation.
"""
from __future__ import annotations

import sys


def register(sub) -> None:
    f = sub.add_parser("fit", help="symbolic regression: find expressions for a column of a data file")
    f.add_argument("data", help=".csv with a header row, .npz, or a structured .npy")
    f.add_argument("--target", "-y", default=None, help="the column to predict (default: the last one)")
    f.add_argument("--features", help="comma-separated input columns (default: every other column)")
    f.add_argument("--time", type=float, default=60.0, help="time budget in seconds (default 60)")
    f.add_argument("--evaluations", type=int, default=None, help="budget of candidate evaluations")
    f.add_argument("--target-loss", type=float, default=None, help="stop once the best MSE is this low")
    f.add_argument("--operators", help="comma-separated operators, e.g. 'add,sub,mul,div,sin,sq(a)=a*a'")
    f.add_argument("--max-size", type=int, default=35, help="largest expression, in nodes")
    f.add_argument("--population", type=int, default=200, help="population per island")
    f.add_argument("--islands", type=int, default=4)
    f.add_argument("--seed", type=int, default=None)
    f.add_argument("--checkpoint", help="checkpoint file, written after every generation")
    f.add_argument("--resume", action="store_true", help="continue from --checkpoint if it exists")
    f.add_argument("--jobs", type=int, default=-1,
                   help="worker processes for the islands (default -1: one per core; 1: this process)")
    f.add_argument("--ray", metavar="ADDRESS", help="run islands as Ray actors ('auto', an address, or 'local')")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.add_argument("-o", "--output", default="model.json", help="model file to write (default model.json)")
    f.set_defaults(func=cmd_fit)

    p = sub.add_parser("predict", help="evaluate a model from `exprc fit` on a data file")
    p.add_argument("model", help="model.json written by exprc fit")
    p.add_argument("data", help=".csv with a header row, .npz, or a structured .npy")
    p.add_argument("--index", type=int, default=None, help="use equation INDEX of the front, not the best")
    p.add_argument("-o", "--output", help=".csv or .npy (default: print one value per line)")
    p.set_defaults(func=cmd_predict)


def _column(table: dict, name: str, path: str):
    from exprc.errors import ExprcError
    from exprc.parser import suggest
    if name in table:
        return table[name]
    have = [str(c) for c in table]
    raise ExprcError(f"{path} has no column {name!r}{suggest(name, have)} (columns: {', '.join(have)})")


def cmd_fit(args) -> int:
    import numpy as np
    from exprc.cli import load_table
    from exprc.errors import ExprcError
    from .estimator import SymbolicRegressor
    table = load_table(args.data)
    if any(not isinstance(k, str) for k in table):
        raise ExprcError(f"{args.data} has no column names: use a .csv with a header row, an .npz or a "
                         "structured .npy")
    names = list(table)
    target = args.target if args.target is not None else names[-1]
    y = _column(table, target, args.data)
    if args.features:
        features = [s.strip() for s in args.features.split(",") if s.strip()]
    else:
        features = [n for n in names if n != target]
    if not features:
        raise ExprcError(f"{args.data} has no input columns besides {target!r}")
    if target in features:
        raise ExprcError(f"the target {target!r} cannot also be a feature")
    X = np.column_stack([np.asarray(_column(table, n, args.data), dtype=np.float64) for n in features])
    show = not args.quiet and sys.stderr.isatty()
    sr = SymbolicRegressor(operators=args.operators, max_size=args.max_size, population_size=args.population,
                           n_islands=args.islands, time_limit=args.time, max_evaluations=args.evaluations,
                           target_loss=args.target_loss, random_state=args.seed, checkpoint=args.checkpoint,
                           resume=args.resume, progress=show, ray_address=args.ray,
                           n_jobs=args.jobs)
    sr.fit(X, np.asarray(y, dtype=np.float64), variable_names=features)
    print(sr.equations_table())
    print(f"best: {target} = {sr.best_.expression}")
    sr.save(args.output, target=target)
    print(f"wrote {args.output} ({sr.n_evaluations_} evaluations, {sr.n_generations_} generations, "
          f"{sr.search_time_:.1f}s)")
    return 0


def cmd_predict(args) -> int:
    import numpy as np
    from exprc.cli import load_table, write_column
    from exprc.errors import ExprcError
    from .estimator import SymbolicRegressor
    sr = SymbolicRegressor.load(args.model)
    table = load_table(args.data)
    cols = []
    for k, name in enumerate(sr.feature_names_):
        if name in table:
            cols.append(table[name])
        elif sr.variable_names_[k] in table:
            cols.append(table[sr.variable_names_[k]])
        else:
            cols.append(_column(table, str(name), args.data))
    lengths = {len(c) for c in cols}
    if len(lengths) > 1:
        raise ExprcError(f"{args.data}: columns have different lengths")
    n = lengths.pop() if lengths else 0
    X = np.column_stack([np.asarray(c, dtype=np.float64) for c in cols]) if cols else np.zeros((n, 0))
    pred = sr.predict(X, index=args.index)
    if args.output:
        write_column(args.output, "prediction", pred)
    else:
        sys.stdout.writelines(f"{float(v)!r}\n" for v in pred)
    return 0
