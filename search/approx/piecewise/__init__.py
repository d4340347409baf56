"""Piecewise polynomial approximations with adaptive knots (AutoKnots), proven to a ULP target:
cell layouts and their index programs (layout.py), one piece's fit and float32 error (fit.py),
knot placement (knots.py), the program (program.py), the driver (driver.py), report (report.py)."""
from .driver import PiecewiseResult, approximate_piecewise

__all__ = ["approximate_piecewise", "PiecewiseResult"]
