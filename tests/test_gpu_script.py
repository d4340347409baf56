"""The GPU benchmark script only runs for real where a GPU is lent, so CI keeps it from rotting:
its --smoke mode runs every code path at toy sizes in Triton's interpreter on CPU tensors."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("triton", reason="the triton extra is not installed (pip install 'exprc[triton]')")
pytest.importorskip("torch", reason="the triton extra is not installed (pip install 'exprc[triton]')")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_eval.py"


def test_gpu_benchmark_runs_end_to_end_in_the_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1")
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for row in ("17-op (sin, cos, exp) | exprc triton", "| torch eager", "| torch.compile",
                "exprc CPU engine, loss (mse)"):
        assert row in out
    assert "losses agree with the CPU engine (rtol 1e-6) for 100.0% of candidates" in out
    diffs = re.findall(r"median relative difference exprc vs torch \| ([0-9.e+-]+)", out)
    assert len(diffs) == 3 and all(float(d) < 1e-6 for d in diffs)
