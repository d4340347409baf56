"""Approximation discovery: the exhaustive verifier, the evolution engine, baselines, range
reduction templates, the search driver and its CLI."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

import exprc
from exprc import ir
from exprc.cli import main as cli_main
from exprc.parser import parse
from exprc.search.approx import baselines
from exprc.search.approx import Candidate, approximate
from exprc.search.evolution import NSGA2, Archive, Individual, non_dominated_sort
from exprc.search.approx.reduction import TEMPLATES
from exprc.search.approx.verify import bit_ranges, verify

# A degree-6 Horner polynomial for 2**x on [0, 1] (float32 constants found by the search):
# 0.8877 ULP over every float32 input of [0, 1]; the fpminimax baseline measures 0.8956.
EXP2_DEG6 = ("fma(fma(fma(fma(fma(fma(0.000215564548852853477001190185546875, x, "
             "0.001248485408723354339599609375), x, 0.009673528373241424560546875), x, "
             "0.055486373603343963623046875), x, 0.2402289211750030517578125), x, "
             "0.693147122859954833984375), x, 1)")
# relative fpminimax with p(0) = 1 for exp on [-ln2/2, ln2/2] (Sollya), degree 6
EXP_CORE_DEG6 = (1.0, 1.0, 0.49999988079071045, 0.16666516661643982, 0.041669610887765884,
                 0.008369083516299725, 0.0013748742640018463)


def f32(text: str) -> ir.Node:
    return parse(text, dtype="float32")


# ------------------------------------------------------------------ the verifier

def test_bit_ranges_cover_every_float32_of_the_interval():
    (lo, hi), = bit_ranges((1.0, 2.0))
    assert hi - lo == 2 ** 23 + 1
    ranges = bit_ranges((-1.0, 1.0))        # both signs, both zeros
    total = sum(h - l for l, h in ranges)
    assert total == 2 * (np.float32(1.0).view(np.uint32) + 1)
    assert bit_ranges(None) == [(0, 1 << 32)]


def test_correctly_rounded_operations_verify_at_half_an_ulp():
    v = verify(f32("sqrt(x)"), "sqrt(x)", interval=(1.0, 4.0))
    assert v.count == 2 * 2 ** 23 + 1
    assert v.max_ulp <= 0.5 and v.not_correctly_rounded == 0 and v.nonfinite_failures == 0
    assert v.exhaustive


def test_verifier_agrees_with_an_independent_evaluation():
    node = f32(EXP2_DEG6)
    v = verify(node, "exp2(x)", interval=(0.0, 1.0))
    assert 0.85 < v.max_ulp < 0.89
    k = exprc.compile(node, dtype="float32")
    x = np.linspace(0, 1, 400_001, dtype=np.float32)
    x = np.concatenate([x, np.float32([v.worst_input])])
    ref = np.exp2(x.astype(np.float64))
    err = np.abs(k(x).astype(np.float64) - ref) / np.spacing(ref.astype(np.float32)).astype(np.float64)
    assert err.max() <= v.max_ulp + 1e-6            # the proof bounds every sample (float64 refs differ by ~1e-9)
    assert err[-1] == pytest.approx(v.max_ulp, rel=1e-6)   # and its worst input is real


def test_nonfinite_results_are_counted_as_failures():
    v = verify(f32("1 / (x - 0.5)"), "1 / (x - 0.5)", interval=(0.25, 0.75))
    assert v.max_ulp <= 0.5          # a correctly rounded formula; x = 0.5 has no finite reference


def test_whole_expf_from_the_template_is_faithful():
    core = baselines.horner(EXP_CORE_DEG6, ir.var("x", "float32"))
    cand = Candidate.of(core, {f"p{k}": v for k, v in enumerate(EXP_CORE_DEG6)})
    t = TEMPLATES["exp"]
    whole = t.assemble(cand.concrete())
    v = verify(whole, "exp(x)", interval=t.domain, normal_only=True)
    assert v.max_ulp < 0.9 and v.count > 2_000_000_000
    assert t.overhead() == 5


# ------------------------------------------------------------------ the evolution engine

class Toy:
    """Minimize (x - 3)**2 and |x|: a known front, integers as genomes."""

    def initial(self, rng, count):
        return [int(v) for v in rng.integers(-20, 20, count)]

    def evaluate(self, genomes):
        return [((g - 3) ** 2, abs(g)) for g in genomes]

    def mutate(self, g, rng):
        return g + int(rng.choice([-1, 1]))

    def crossover(self, a, b, rng):
        return (a + b) // 2

    def key(self, g):
        return g


def test_nsga2_finds_the_pareto_front_and_is_reproducible():
    fronts = []
    for _ in range(2):
        e = NSGA2(Toy(), population_size=20, seed=5)
        e.initialize()
        e.run(generations=30)
        fronts.append(sorted(i.genome for i in e.archive.front()))
    assert fronts[0] == fronts[1] == [0, 1, 2, 3]


def test_checkpoint_resume_continues_the_same_run(tmp_path):
    ck = tmp_path / "run.pkl"
    straight = NSGA2(Toy(), population_size=16, seed=1)
    straight.initialize()
    straight.run(generations=10)
    first = NSGA2(Toy(), population_size=16, seed=1, checkpoint=ck)
    first.initialize()
    first.run(generations=4)
    resumed = NSGA2(Toy(), population_size=16, seed=99, checkpoint=ck)
    assert resumed.load() and resumed.generation == 4
    resumed.run(generations=6)
    assert [i.genome for i in resumed.population] == [i.genome for i in straight.population]


def test_archive_keeps_only_non_dominated_points():
    a = Archive()
    for k, obj in enumerate([(3, 1), (1, 3), (2, 2), (3, 3), (1, 1)]):
        a.add(Individual(k, obj), k)
    assert [i.objectives for i in a.front()] == [(1, 1)]
    fronts = non_dominated_sort(np.array([[1, 2], [2, 1], [2, 2], [3, 3]], dtype=float))
    assert [sorted(f.tolist()) for f in fronts] == [[0, 1], [2], [3]]


# ------------------------------------------------------------------ baselines and templates

def test_seeds_without_sollya_come_from_remez(monkeypatch):
    monkeypatch.setattr(baselines, "sollya_available", lambda: False)
    seeds = baselines.seeds("exp2(x)", (0.0, 1.0), 3)
    kinds = [s.kind for s in seeds]
    assert any(k.startswith("Horner Remez") for k in kinds)
    assert any(k.startswith("Estrin") for k in kinds) and any(k.startswith("Padé") for k in kinds)
    horner3 = next(s for s in seeds if s.kind == "Horner Remez (mpmath) relative, rounded, degree 3")
    k = exprc.compile(horner3.node, dtype="float32", parameters=horner3.node.parameters)
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    y = k(x, params={f"p{j}": v for j, v in enumerate(horner3.params)})   # Seed.params[j] is $pj
    assert np.max(np.abs(y / np.exp2(x.astype(np.float64)) - 1)) < 2e-4


def test_odd_functions_get_odd_polynomials():
    seeds = baselines.odd_seeds("sin(x)", (-1.0, 1.0), 5)
    assert seeds and all(s.kind.startswith("odd Horner") for s in seeds)
    assert baselines.odd_seeds("exp(x)", (-1.0, 1.0), 5) == []


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_with_an_exact_core_reproduce_the_function(name):
    """With the core computed by exprc's own float64 function, the assembled float32 program
    stays close to the function on ordinary inputs: the reduction itself is right."""
    t = TEMPLATES[name]
    core = parse(t.core_function, dtype="float32")
    whole = t.assemble(core)
    k = exprc.compile(whole, dtype="float32")
    lo, hi = max(t.domain[0], -50.0), min(t.domain[1], 50.0)
    x = np.linspace(lo if lo > 0 else -50, hi, 10_001, dtype=np.float32)
    x = x[(x > 0) if name.startswith("log") else np.isfinite(x)]
    want = getattr(np, name)(x.astype(np.float64))
    got = k(x).astype(np.float64)
    ok = np.abs(want) > 1e-3
    assert np.max(np.abs(got[ok] - want[ok]) / np.abs(want[ok])) < 1e-5


# ------------------------------------------------------------------ the search driver

@pytest.fixture(scope="module")
def small_search(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp2")
    seen = []
    r = approximate("exp2", (0.0, 1.0), max_ops=5, time_limit=8.0, seed=3, population_size=40,
                    sample_size=2048, refine_sample_size=1 << 14, out_dir=out, progress=seen.append,
                    prove_all=True)
    return r, out, seen


def test_search_front_is_proven_and_never_worse_than_a_baseline(small_search):
    r, _, seen = small_search
    assert seen and "front" in seen[-1]
    assert r.front and all(p.verified == "exhaustive" for p in r.front)
    errs = [p.max_ulp for p in sorted(r.front, key=lambda p: p.ops)]
    assert errs == sorted(errs, reverse=True) and len(set(errs)) == len(errs)   # a Pareto front
    for b in r.baselines:
        best = min((p.max_ulp for p in r.front if p.ops <= b.ops), default=np.inf)
        assert best <= b.max_ulp + 1e-9, (b.ops, b.max_ulp, best)
    for p in r.front:                              # the program text is what was proven
        v = verify(f32(p.program), "exp2(x)", interval=(0.0, 1.0))
        assert v.max_ulp == pytest.approx(p.max_ulp, abs=1e-4)


def test_search_writes_front_code_report_and_plot(small_search):
    r, out, _ = small_search
    front = json.loads((out / "front.json").read_text())
    assert front and set(front[0]) >= {"ops", "max_ulp", "verified", "program"}
    for name in ("best.exprc", "best.c", "best.ll", "best_triton.py", "report.md", "front.png"):
        assert (out / name).stat().st_size > 0, name
    assert "| ops |" in (out / "report.md").read_text()
    parse((out / "best.exprc").read_text().strip(), dtype="float32")


def test_a_proof_past_its_deadline_gives_up_instead_of_overrunning():
    assert verify(f32("x"), "x", interval=(0.0, 1.0), deadline=time.monotonic() - 1) is None
    assert verify(f32("x"), "x", interval=(0.0, 1.0), deadline=time.monotonic() + 600).max_ulp == 0


def test_the_time_limit_covers_the_proofs_and_says_what_it_cut(tmp_path):
    r = approximate("exp2", (0.0, 1.0), max_ops=3, time_limit=0.05, population_size=8, sample_size=512,
                    refine_sample_size=1 << 12, out_dir=tmp_path)
    points = r.front + r.baselines
    assert r.front and r.unproven > 0
    assert {p.verified for p in points} <= {"exhaustive", "sampled"}
    assert any(p.verified == "sampled" for p in points)
    report = (tmp_path / "report.md").read_text()
    assert "did not finish within the time limit" in report and "(sampled)" in report


def test_bad_requests_are_clear_errors():
    with pytest.raises(exprc.ExprcError, match="one-argument"):
        approximate("atan2", (0, 1))
    with pytest.raises(exprc.ExprcError, match="interval"):
        approximate("exp2")
    with pytest.raises(exprc.ExprcError, match="template"):
        approximate("tanh", whole=True)


@pytest.mark.parametrize("function, interval, message", [
    ("log", (-1, 1), "not finite everywhere"),      # outside the domain: refused, not a hang
    ("log", (0, 1), "not finite everywhere"),       # a pole at the end
    ("exp2", (float("nan"), 1), "must be finite"),
    ("exp2", (1, 0), "A < B"),
    ("exp2", (1, 1.00000001), "A < B"),             # one float32 only
])
def test_intervals_outside_the_domain_or_empty_are_refused(function, interval, message):
    with pytest.raises(exprc.ExprcError, match=message):
        approximate(function, interval, time_limit=1)


def test_cli_approx(tmp_path, capsys):
    out = tmp_path / "res"
    rc = cli_main(["approx", "exp2", "--interval", "0", "1", "--max-ops", "3", "--time", "4",
                   "--population", "24", "--quiet", "-o", str(out)])
    assert rc == 0
    assert json.loads((out / "front.json").read_text())
    assert "| ops |" in capsys.readouterr().out
    assert cli_main(["approx", "nosuch", "--interval", "0", "1"]) == 2
    assert cli_main(["approx", "exp2"]) == 2


def test_cli_library_refuses_unknown_functions_and_a_missing_function(capsys):
    assert cli_main(["approx", "--library", "sinh"]) == 2
    err = capsys.readouterr().err
    assert "--library knows exp, exp2, log, log2" in err and len(err.strip().splitlines()) == 1
    assert cli_main(["approx"]) == 2


def test_library_generation_writes_a_proved_design(tmp_path, monkeypatch):
    """The generation step end to end on one small configuration: fit, time, prove over every
    float32 input, write; then the design read back builds the same program."""
    from exprc.mathlib import design_from_json
    from exprc.search.approx import library
    monkeypatch.setitem(library.SPECS, "exp2", library.Spec("exp2", "exp_table", library.SPECS["exp2"].mp,
                                                            "exp2(x)", (6,)))
    path = tmp_path / "float32.json"
    data = library.generate(["exp2"], path=path, log=lambda line: None)
    e = json.loads(path.read_text())["exp2"]
    assert e == data["exp2"]
    assert e["proof"]["exhaustive"] and e["proof"]["not_correctly_rounded"] == 0
    assert design_from_json(e).bits == 6
