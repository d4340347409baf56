"""Command-line subcommands of the search drivers, added to `exprc` by exprc/cli.py:
`exprc approx` (approx/cli.py), `exprc fit` and `exprc predict` (sr/cli.py)."""
from __future__ import annotations


def register(sub) -> None:
    from .approx import cli as approx_cli
    approx_cli.register(sub)
    try:
        from .sr import cli as sr_cli
    except ImportError:     # the symbolic-regression driver is optional
        return
    sr_cli.register(sub)
