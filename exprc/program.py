"""A Program: what a backend compiles. Output expressions over named inputs, in one dtype.

Why a separate object: kernels may have several outputs sharing work (a value and its
gradient), and the call signature (variable and parameter order) must be fixed even when
the optimizer removes a variable from the expression.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from . import ir, ops
from .dtypes import BOOL, FLOAT_DTYPES, INT_BITS, normalize_dtype
from .errors import ExprcError
from .passes.rewrite import instantiate


@dataclass(frozen=True)
class Program:
    outputs: tuple[ir.Node, ...]
    variables: tuple[str, ...]
    parameters: tuple[str, ...]
    dtype: str
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @staticmethod
    def build(outputs: Sequence[ir.Node], dtype, variables=None, parameters=None) -> "Program":
        d = normalize_dtype(dtype)
        if d not in FLOAT_DTYPES:
            raise ExprcError("a program computes in float32 or float64")
        outs = tuple(ir.retype_all(list(outputs), d))
        for o in outs:
            if o.dtype in INT_BITS:
                raise ExprcError(f"an output must be a float or a bool, not the {o.dtype} {o}: convert it with "
                                 "tofloat() (its value) or asfloat() (its bits)")
        found_vars = ir.leaf_names(outs, ir.VAR)
        found_params = ir.leaf_names(outs, ir.PARAM)
        variables = tuple(variables) if variables is not None else found_vars
        parameters = tuple(parameters) if parameters is not None else found_params
        missing = [v for v in found_vars if v not in variables]
        if missing:
            raise ExprcError(f"the expression uses variable{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)} not listed in variables={list(variables)}")
        missing = [p for p in found_params if p not in parameters]
        if missing:
            raise ExprcError(f"the expression uses parameter{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)} not listed in parameters={list(parameters)}")
        clash = set(variables) & set(parameters)
        if clash:
            raise ExprcError(f"{', '.join(sorted(clash))} cannot be both a variable and a parameter")
        if len(set(variables)) != len(variables) or len(set(parameters)) != len(parameters):
            raise ExprcError("variable and parameter names must be unique")
        return Program(outs, variables, parameters, d)

    def with_outputs(self, outputs: Sequence[ir.Node]) -> "Program":
        return Program(tuple(outputs), self.variables, self.parameters, self.dtype)

    def schedule(self) -> list[ir.Node]:
        """Every node the outputs need, each after its arguments; nothing else (dead code)."""
        if "schedule" not in self._cache:
            self._cache["schedule"] = ir.topo(self.outputs)
        return self._cache["schedule"]

    def digest(self) -> str:
        """Structural hash of the whole program, signature included."""
        if "digest" not in self._cache:
            self._cache["digest"] = ir.dag_digest(
                self.outputs, extra=f"{self.dtype}|{','.join(self.variables)}|{','.join(self.parameters)}")
        return self._cache["digest"]

    @property
    def output_dtypes(self) -> tuple[str, ...]:
        return tuple(o.dtype for o in self.outputs)

    def op_count(self) -> int:
        return sum(1 for n in self.schedule() if n.args)

    def expanded(self, lowering: str) -> "Program":
        """Replace ops that a backend cannot lower (their `lowering` field is None) by their
        definition in terms of other ops (Op.expand)."""
        key = "expanded:" + lowering
        if key not in self._cache:
            self._cache[key] = self.with_outputs(expand_for(self.outputs, lowering))
        return self._cache[key]


def expand_for(roots, lowering: str) -> list[ir.Node]:
    """roots with every op whose `lowering` spec is None replaced by its Op.expand definition."""
    from .parser import parse

    def step(node: ir.Node, args):
        n = ir.rebuild(node, args)
        op = ops.REGISTRY.get(n.op)
        if op is None or getattr(op, lowering) is not None or op.expand is None:
            return n
        dtype = n.dtype if n.dtype != BOOL else "float64"
        if callable(op.expand):
            return op.expand(*n.args, dtype)
        binding = dict(zip("abc", n.args))
        return expand_for([instantiate(parse(op.expand), binding, dtype)], lowering)[0]  # may use expanded ops
    return ir.transform(list(roots), step)
