"""Discovery of float32 approximations (AutoNumerics-style): the search driver (driver.py),
its baselines (baselines.py: Sollya, Remez, Taylor, Pade via remez.py), range-reduction
templates (reduction.py), the exhaustive verifier (verify.py), reports (report.py), the
whole-function studies (autonumerics.py) and `exprc approx` (cli.py)."""
from .driver import ApproxResult, Candidate, approximate

__all__ = ["approximate", "ApproxResult", "Candidate"]
