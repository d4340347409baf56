"""Discover float32 approximations of functions by evolution, proven over every float32 input.

A candidate is an exprc program in x whose constants are parameters. Its fitness is measured
in float32 on the exact op sequence the compiled kernel runs (the population engine is
bit-identical to the LLVM kernels): max error in ULPs of the correctly rounded result, and op
count. NSGA-II (evolution.py) explores structures seeded with exprc's own baselines (minimax
in Horner and Estrin form, Taylor, Padé); every new structure gets its constants fitted by
batched Levenberg-Marquardt on relative error, and the Pareto front is then refined by CMA-ES
on the float32 max-ULP error itself (constants are float32 throughout) and verified
exhaustively (verify.py). With a range-reduction template (reduction.py) the candidate is the
core of a whole function and is scored as the whole function.
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from exprc import ir
from exprc.errors import ExprcError
from exprc.program import Program
from exprc.ulp import ulp_spacing

from .. import trees
from .baselines import seeds as make_seeds
from ..evolution import NSGA2
from ..fitting import levenberg_marquardt, refine_float32
from .reduction import TEMPLATES, Template
from .verify import Verification, verify

DTYPE = "float32"


@dataclass(frozen=True)
class Candidate:
    node: ir.Node                 # a float32 program in x with parameters $p0..$pk, numbered in
    params: tuple[float, ...]     # order of first appearance (the order kernels take them in);
    kind: str = "evolved"         # params: their float32 values

    @staticmethod
    def of(node: ir.Node, values: dict[str, float], kind: str = "evolved") -> "Candidate":
        """A candidate from any parameter names, renumbered to the canonical order."""
        node, vals = trees.renumber(node, values)
        return Candidate(node, tuple(float(np.float32(v)) for v in vals), kind)

    def concrete(self) -> ir.Node:
        """The program with its parameters replaced by their float32 constants."""
        mapping = {f"p{k}": ir.const(float(np.float32(v)), DTYPE) for k, v in enumerate(self.params)}
        return ir.substitute([self.node], mapping, kind=ir.PARAM)[0]


@dataclass
class Point:
    ops: int
    max_ulp: float
    verified: str                 # "exhaustive" | "sampled"
    program: str                  # exprc text in x
    kind: str
    worst_input: float | None = None
    not_correctly_rounded: int | None = None

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def op_count(node: ir.Node) -> int:
    return Program.build([node], DTYPE).op_count()


class Sample:
    """The inputs fitness is measured on: stratified over the interval (in value and in bit
    pattern, so tiny and huge magnitudes both appear), the endpoints, and the worst inputs
    verification has found so far (RLIBM-style active set)."""

    def __init__(self, reference: ir.Node, interval: tuple[float, float], size: int, rng: np.random.Generator):
        import exprc
        self.reference = reference
        self.interval = interval
        self._ref_kernel = exprc.compile(reference, dtype="float64", mathlib="libm", variables=["x"])
        a, b = (float(np.float32(v)) for v in interval)
        by_value = rng.uniform(a, b, size // 2)
        from .verify import bit_ranges
        ranges = bit_ranges((a, b))
        weights = np.array([hi - lo for lo, hi in ranges], dtype=np.float64)
        picks = rng.choice(len(ranges), size - size // 2, p=weights / weights.sum())
        by_bits = np.array([rng.integers(ranges[k][0], ranges[k][1]) for k in picks], dtype=np.uint32).view(np.float32)
        self.x = np.unique(np.concatenate([by_value.astype(np.float32), by_bits, np.float32([a, b])]))
        self._refresh()

    def _refresh(self) -> None:
        with np.errstate(all="ignore"):
            self.ref = np.asarray(self._ref_kernel(self.x.astype(np.float64)), dtype=np.float64)
        ok = np.isfinite(self.ref) & (np.abs(self.ref) >= 2.0 ** -126) & (np.abs(self.ref) < 2.0 ** 128)
        self.x, self.ref = self.x[ok], self.ref[ok]
        self.ulp = ulp_spacing(self.ref)

    def add(self, xs: Sequence[float]) -> None:
        """Add inputs (and their float32 neighbours) where a candidate was found to be worst."""
        pts = [np.float32(v) for v in xs if v is not None and np.isfinite(v)]
        extra = []
        for p in pts:
            extra += [p, np.nextafter(p, np.float32(np.inf)), np.nextafter(p, np.float32(-np.inf))]
        a, b = (np.float32(v) for v in self.interval)
        extra = [v for v in extra if a <= v <= b]
        if extra:
            self.x = np.unique(np.concatenate([self.x, np.array(extra, dtype=np.float32)]))
            self._refresh()


class ApproxProblem:
    """The approximation search as an evolution.Problem."""

    def __init__(self, core_reference: ir.Node, sample: Sample, max_ops: int, template: Template | None,
                 fit_points: int = 512, seed: int = 0):
        self.core_reference = core_reference
        self.sample = sample
        self.max_ops = max_ops
        self.template = template
        rng = np.random.default_rng(seed + 17)
        self.fit_idx = np.sort(rng.choice(len(sample.x), min(fit_points, len(sample.x)), replace=False))
        self._ops: "weakref.WeakKeyDictionary[ir.Node, int]" = weakref.WeakKeyDictionary()
        self.proofs: dict = {}            # (node, params) -> verified Point
        self.unproven = 0                 # proofs given up at the deadline

    # -- scoring
    def whole(self, node: ir.Node) -> ir.Node:
        return self.template.assemble(node, DTYPE) if self.template else node

    def ops(self, c: Candidate) -> int:
        n = self._ops.get(c.node)
        if n is None:
            n = self._ops[c.node] = op_count(self.whole(c.node))
        return n

    def errors(self, cands: Sequence[Candidate], x=None, ref=None, ulp=None) -> np.ndarray:
        from exprc.population import Population
        x = self.sample.x if x is None else x
        ref = self.sample.ref if ref is None else ref
        ulp = self.sample.ulp if ulp is None else ulp
        pop = Population([self.whole(c.node) for c in cands], variables=["x"], dtype=DTYPE)
        with np.errstate(all="ignore"):
            pred = pop.predict(x.reshape(-1, 1), params=[np.asarray(c.params) for c in cands])
            err = np.abs(pred.astype(np.float64) - ref) / ulp
        err = np.where(np.isfinite(err), err, np.inf)
        return err.max(axis=1)

    def evaluate(self, cands: Sequence[Candidate]) -> list[tuple[float, float]]:
        errs = self.errors(cands)
        out = []
        for c, e in zip(cands, errs):
            n = self.ops(c)
            out.append((float(e) if n <= self.max_ops else math.inf, float(n)))
        return out

    def prepare(self, cands: Sequence[Candidate]) -> list[Candidate]:
        """Fit the constants of new structures by LM on relative error (float64), then round
        them to float32: a structure is judged with good constants, not the ones it mutated
        from. Seeds keep their minimax constants (least squares would worsen the max error)."""
        todo = [k for k, c in enumerate(cands) if c.params and c.kind in ("evolved", "random")]
        if not todo:
            return list(cands)
        s = self.sample
        X = s.x[self.fit_idx].astype(np.float64).reshape(-1, 1)
        y = s.ref[self.fit_idx]
        nodes = [self.whole(cands[k].node) for k in todo]
        params, _ = levenberg_marquardt(nodes, [np.asarray(cands[k].params) for k in todo], X, y, ["x"],
                                        weights=1.0 / np.abs(y), iterations=8)
        out = list(cands)
        for k, p in zip(todo, params):
            with np.errstate(over="ignore"):
                p32 = np.asarray(p).astype(np.float32)
            if np.all(np.isfinite(p32)):
                out[k] = Candidate(cands[k].node, tuple(float(v) for v in p32), cands[k].kind)
        return out

    # -- variation
    def key(self, c: Candidate):
        return (c.node, c.params)

    def initial(self, rng: np.random.Generator, count: int) -> list[Candidate]:
        x = ir.var("x", DTYPE)
        out = []
        for _ in range(count):
            d = int(rng.integers(1, max(2, self.max_ops - (self.template.overhead() if self.template else 0)) + 1))
            from .baselines import horner
            values = {f"p{k}": v for k, v in enumerate(rng.normal(0, 1, d + 1))}
            out.append(Candidate.of(horner([0.0] * (d + 1), x), values, "random"))
        return out

    def mutate(self, c: Candidate, rng: np.random.Generator) -> Candidate | None:
        values = {f"p{k}": v for k, v in enumerate(c.params)}
        x = ir.var("x", DTYPE)
        choice = rng.random()
        if choice < 0.25 and c.params:                      # nudge constants (local search)
            p = np.array(c.params) * (1 + rng.normal(0, 1e-4, len(c.params)))
            return Candidate(c.node, tuple(float(np.float32(v)) for v in p), "evolved")
        pos = trees.random_position(c.node, rng)
        if pos is None:
            return None
        path, sub = pos
        new_p = trees.fresh_param(c.node, DTYPE)
        values[new_p.value] = float(rng.choice([0.5, 1.0, 2.0, -1.0]))
        edits: list[Callable[[], ir.Node]] = [
            lambda: ir.apply("fma", sub, x, new_p),                      # one more Horner step
            lambda: ir.apply("fma", sub, new_p, x),
            lambda: ir.apply("mul", sub, sub),                           # square
            lambda: ir.apply("mul", sub, new_p),
            lambda: ir.apply("add", sub, new_p),
            lambda: ir.apply("div", new_p, sub),
            lambda: ir.apply("ldexp", sub, ir.const(float(rng.choice([-2, -1, 1, 2])), DTYPE)),
            lambda: sub.args[int(rng.integers(len(sub.args)))] if sub.args else x,   # delete an op
            lambda: ir.apply("mul", x, new_p) if sub.op == ir.VAR else sub,           # scale the input
            lambda: _swap_op(sub, rng),
        ]
        new = edits[int(rng.integers(len(edits)))]()
        node = trees.replace(c.node, path, new)
        if node is c.node or not node.variables:
            return None
        return Candidate.of(node, values)

    def crossover(self, a: Candidate, b: Candidate, rng: np.random.Generator) -> Candidate | None:
        vb = {f"q{k}": v for k, v in enumerate(b.params)}
        bq = ir.substitute([b.node], {f"p{k}": ir.param(f"q{k}", DTYPE) for k in range(len(b.params))},
                           kind=ir.PARAM)[0]
        node = trees.crossover(a.node, bq, rng)
        if not node.variables:
            return None
        values = {f"p{k}": v for k, v in enumerate(a.params)}
        values.update(vb)
        return Candidate.of(node, values)


def _swap_op(node: ir.Node, rng) -> ir.Node:
    swaps = {"add": ("sub", "mul"), "sub": ("add",), "mul": ("add", "div"), "div": ("mul",)}
    if node.op in swaps:
        return ir.apply(str(rng.choice(swaps[node.op])), *node.args)
    return node


@dataclass
class ApproxResult:
    function: str
    interval: tuple[float, float]
    whole: bool
    front: list[Point]
    baselines: list[Point]
    generations: int
    evaluations: int
    seconds: float
    template_note: str = ""
    extra: dict = field(default_factory=dict)
    unproven: int = 0             # proofs the time limit cut short: those points are "sampled"

    def best(self) -> Point | None:
        faithful = [p for p in self.front if p.max_ulp <= 1.0]
        if faithful:
            return min(faithful, key=lambda p: (p.ops, p.max_ulp))
        return min(self.front, key=lambda p: (p.max_ulp, p.ops)) if self.front else None

    def write(self, out_dir: str | Path) -> Path:
        from .report import write_result
        return write_result(self, Path(out_dir))


def _verify_point(cand: Candidate, problem: ApproxProblem, reference: ir.Node, interval, kind: str,
                  sampled_error: float, deadline: float) -> Point:
    """The candidate proven over every input (cached: seeds are both shortlisted and baselines);
    a proof that cannot finish by the deadline leaves the point labelled "sampled", with its
    error on the dense sample, and is counted in problem.unproven."""
    key = (cand.node, cand.params)
    hit = problem.proofs.get(key)
    if hit is not None:
        return Point(**{**hit.__dict__, "kind": kind})
    whole = problem.whole(cand.concrete())
    v: Verification | None = verify(whole, reference, interval=None if problem.template else interval,
                                    normal_only=True, deadline=deadline)
    if v is None:
        problem.unproven += 1
        return Point(problem.ops(cand), round(float(sampled_error), 4), "sampled", str(whole), kind)
    point = Point(problem.ops(cand), round(v.max_ulp, 4), "exhaustive", str(whole), kind, v.worst_input,
                  v.not_correctly_rounded)
    problem.proofs[key] = point
    return point


def checked_interval(expression: str, interval, dtype: str = "float32") -> tuple[float, float]:
    """The interval as floats, refused unless it is finite, non-empty in dtype and inside
    the domain of expression (exprc text in x; a fit across a pole or a NaN never ends well)."""
    import exprc
    try:
        a, b = (float(v) for v in interval)
    except (TypeError, ValueError):
        raise ExprcError(f"the interval must be two numbers, got {interval!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ExprcError(f"the interval must be finite, got [{a}, {b}]")
    with np.errstate(over="ignore"):
        if not np.asarray(a, dtype=dtype) < np.asarray(b, dtype=dtype):
            raise ExprcError(f"the interval [{a}, {b}] holds no two {dtype} numbers: give A < B")
    k = exprc.compile(expression, dtype="float64", mathlib="libm", variables=["x"])
    xs = np.linspace(a, b, 4097)
    with np.errstate(all="ignore"):
        bad = ~np.isfinite(np.asarray(k(xs), dtype=np.float64))
    if bad.any():
        raise ExprcError(f"{expression} is not finite everywhere on [{a}, {b}] (at x = {xs[bad][0]:g}); "
                         f"choose an interval inside its domain")
    return a, b


def approximate(function: str, interval: tuple[float, float] | None = None, max_ops: int = 10,
                time_limit: float = 60.0, seed: int = 0, population_size: int = 120, whole: bool = False,
                sample_size: int = 16384, refine_sample_size: int = 1 << 17, out_dir: str | Path | None = None, checkpoint: str | None = None,
                progress: Callable[[dict], None] | None = None, prove_all: bool = False,
                piecewise: bool = False, max_ulp: float = 1.0, degree: int = 4, dtype: str = "float32"):
    """Search for float32 programs approximating `function` (an exprc op name such as exp2)
    on `interval`, or, with whole=True, for the core of a whole function behind a
    range-reduction template. Returns the exhaustively verified Pareto front (ops vs max ULP)
    and the Horner-fpminimax baselines. time_limit bounds the whole run; a proof that cannot
    finish in it leaves its point labelled "sampled", unless prove_all (finish every proof,
    however long it takes past the limit).

    piecewise=True: instead, a piecewise polynomial of the given degree with adaptive knots
    within max_ulp ULPs on every float32 input of interval, where function may be any exprc
    expression in x (a PiecewiseResult; see search/approx/piecewise), in dtype float32 or
    float64 (sampled checks); time_limit, max_ops and the search settings do not apply there."""
    if piecewise:
        from .piecewise import approximate_piecewise
        if interval is None:
            raise ExprcError("a piecewise approximation needs an interval")
        return approximate_piecewise(function, interval, max_ulp=max_ulp, degree=degree, seed=seed,
                                     out_dir=out_dir, dtype=dtype)       # every proof finishes: no time limit
    if dtype not in ("float32", "f32"):
        raise ExprcError("the approximation search is float32 only; float64 is supported with piecewise=True")
    from exprc import ops as registry
    from exprc.parser import parse
    t0 = time.monotonic()
    deadline = t0 + time_limit     # the whole run: baselines, search, refinement and proofs
    proof_deadline = math.inf if prove_all else deadline
    if function not in registry.REGISTRY or registry.REGISTRY[function].arity != 1:
        raise ExprcError(f"cannot approximate {function!r}: name a one-argument exprc function (exp2, log, sin...)")
    template = None
    if whole:
        if function not in TEMPLATES:
            raise ExprcError(f"no range-reduction template for {function}; have {', '.join(TEMPLATES)}")
        template = TEMPLATES[function]
        core_interval = template.core_interval
        judge_interval = template.domain
        core_reference = parse(template.core_function, dtype="float64")
    else:
        if interval is None:
            raise ExprcError("give an interval, or whole=True for a whole function")
        core_interval = judge_interval = checked_interval(f"{function}(x)", interval)
        core_reference = parse(f"{function}(x)", dtype="float64")
    reference = parse(f"{function}(x)", dtype="float64")
    rng = np.random.default_rng(seed)
    sample = Sample(reference, judge_interval, sample_size, rng)
    problem = ApproxProblem(core_reference, sample, max_ops, template, seed=seed)
    overhead = template.overhead() if template else 0
    core_ops = max(1, max_ops - overhead)
    seed_list = make_seeds(template.core_function if template else f"{function}(x)", core_interval, core_ops,
                           deadline=t0 + 0.25 * time_limit)
    cands = [Candidate.of(s.node, {f"p{k}": v for k, v in enumerate(s.params)}, s.kind) for s in seed_list]
    horner_seeds = [(s, c) for s, c in zip(seed_list, cands) if s.kind.startswith("Horner")]

    engine = NSGA2(problem, population_size=population_size, seed=seed, checkpoint=checkpoint)
    if not engine.load():
        engine.initialize(cands)
    budget_search = 0.4 * time_limit

    def report(eng):
        if progress is not None:
            front = [(int(i.objectives[1]), float(i.objectives[0])) for i in eng.archive.front()
                     if np.isfinite(i.objectives[0])]
            progress({"generation": eng.generation, "evaluations": eng.evaluations, "front": front,
                      "elapsed": time.monotonic() - t0, "time_limit": time_limit})
        return time.monotonic() - t0 > budget_search
    report(engine)
    engine.run(time_limit=max(0.0, budget_search - (time.monotonic() - t0)), callback=report)

    # the final stage, per op count: shortlist the best candidates of the archive and of the
    # seeds on a dense sample, verify them over every input, refine the constants of the best
    # on the float32 max-ULP error (adding each verification's worst input to the sample), keep
    # the best verified. Seeds are in the pool, so the front is never worse than a baseline.
    dense = Sample(reference, judge_interval, refine_sample_size, rng)
    pool = [ind.genome for ind in engine.archive.front()] + cands
    errs = problem.errors(pool, dense.x, dense.ref, dense.ulp) if pool else []
    by_ops: dict[int, list[tuple[float, Candidate]]] = {}
    for c, e in zip(pool, errs):
        n = problem.ops(c)
        if n <= max_ops and np.isfinite(e):
            by_ops.setdefault(n, []).append((float(e), c))
    shortlist_size = 1 if template else 3
    verify_below = 8.0 if template else math.inf   # whole functions: 2**32 inputs per proof
    refine_below = 4.0                               # where refining constants can matter
    interesting = [n for n, ent in by_ops.items() if min(e for e, _ in ent) <= refine_below]
    # the baselines are proven first: their proofs are needed anyway (and cached for the
    # shortlist), and what is left of the time limit then goes to refinement
    base_errs = problem.errors([c for _, c in horner_seeds], dense.x, dense.ref, dense.ulp) if horner_seeds else []
    baselines = []
    # most accurate first: when the time limit cuts the proofs short, the ones that matter are done
    for (s, c), e in sorted(zip(horner_seeds, base_errs), key=lambda sce: float(sce[1])):
        if problem.ops(c) > max_ops:
            continue
        if e > verify_below:
            baselines.append(Point(problem.ops(c), round(float(e), 4), "sampled", str(problem.whole(c.concrete())), s.kind))
        else:
            baselines.append(_verify_point(c, problem, reference, judge_interval, s.kind, e, proof_deadline))
    front_points: list[Point] = []
    order = sorted(by_ops, key=lambda m: min(e for e, _ in by_ops[m]))     # most accurate first, as above
    for done, n in enumerate(order):
        entries = by_ops[n]
        entries.sort(key=lambda ec: ec[0])
        shortlist, seen = [], set()
        for e, c in entries:
            if problem.key(c) not in seen and len(shortlist) < (shortlist_size if n in interesting else 1):
                seen.add(problem.key(c))
                shortlist.append((e, c))
        if shortlist[0][0] > verify_below:
            e, c = shortlist[0]
            front_points.append(Point(n, round(e, 4), "sampled", str(problem.whole(c.concrete())), c.kind))
            continue
        verified = [(_verify_point(c, problem, reference, judge_interval, c.kind, e, proof_deadline), c)
                    for e, c in shortlist]
        best_point, c = min(verified, key=lambda pc: (pc[0].verified != "exhaustive", pc[0].max_ulp))
        for pt, _ in verified:
            if pt.worst_input is not None:
                dense.add([pt.worst_input])
        if n not in interesting:
            front_points.append(best_point)
            continue
        left = [m for m in order[done:] if m in interesting]
        share = time.monotonic() + max(0.0, deadline - time.monotonic()) * 0.9 / len(left)
        last_round = 0.0
        for rnd in range(8):          # refine, verify, add the worst input to the sample, repeat
            if (best_point.max_ulp <= 0.5 or best_point.verified != "exhaustive"
                    or time.monotonic() + last_round > share or not c.params):
                break
            round_start = time.monotonic()
            p, _ = refine_float32(problem.whole(c.node), np.array(c.params), dense.x, dense.ref, dense.ulp,
                                  evaluations=2000, seed=seed + rnd, sigma=3e-6)
            if tuple(float(v) for v in p) == c.params:
                last_round = time.monotonic() - round_start
                continue
            kind = c.kind if c.kind.startswith("refined") or c.kind == "evolved" else f"refined {c.kind}"
            trial = Candidate(c.node, tuple(float(v) for v in p), kind)
            point = _verify_point(trial, problem, reference, judge_interval, kind, math.inf, proof_deadline)
            if point.verified != "exhaustive":
                break
            dense.add([point.worst_input])
            if point.max_ulp < best_point.max_ulp:
                best_point, c = point, trial
            last_round = time.monotonic() - round_start
        front_points.append(best_point)
    front_points = _pareto(front_points)
    result = ApproxResult(function, judge_interval, whole, front_points, baselines, engine.generation,
                          engine.evaluations, time.monotonic() - t0, template.note if template else "",
                          unproven=problem.unproven)
    if out_dir is not None:
        result.write(out_dir)
    return result


def _pareto(points: list[Point]) -> list[Point]:
    out = []
    for p in sorted(points, key=lambda q: (q.ops, q.max_ulp)):
        if not out or p.max_ulp < out[-1].max_ulp:
            out.append(p)
    return out
