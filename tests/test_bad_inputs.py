"""Bad input gets exprc's own error with one line (the CLI: exit 2), never a traceback from
numpy or Python, and never a silent empty answer."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import exprc
from exprc.cli import main


@pytest.mark.parametrize("threads", ["2", 2.5, True])
def test_threads_must_be_a_whole_number(threads):
    with pytest.raises(exprc.ExprcError, match="threads"):
        exprc.compile("x + 1")(np.ones(3), threads=threads)


@pytest.mark.parametrize("backend", ["llvm", "numpy"])
def test_unknown_source_kind(backend):
    with pytest.raises(exprc.ExprcError, match="wasm"):
        exprc.compile("x + 1", backend=backend).source("wasm")


def test_bad_thread_count_in_the_environment():
    r = subprocess.run([sys.executable, "-c", "import numpy as np, exprc\n"
                        "try:\n    exprc.compile('x + 1')(np.ones(10 ** 7))\n"
                        "except exprc.ExprcError as e:\n    print('refused', e)"],
                       env=dict(os.environ, EXPRC_NUM_THREADS="abc"), capture_output=True, text=True,
                       timeout=120)
    assert "refused EXPRC_NUM_THREADS" in r.stdout, r.stderr


def test_constants_beyond_4300_digits():
    digits = "1" * 5000
    assert exprc.compile(f"x + {digits}e-4990")(0.0) == float("1" * 10 + "." + "1" * 20)
    node = exprc.parse(f"x * {digits}")
    assert "111111" in str(node)
    with pytest.raises(exprc.ParseError, match="at most"):
        exprc.parse("1" * 200_000)


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_eval_zero_d_npy(tmp_path, capsys):
    f = tmp_path / "s.npy"
    np.save(f, np.float64(3.0))
    code, _, err = run(["eval", "x + 1", "--data", str(f)], capsys)
    assert code == 2 and "0-d" in err and len(err.strip().splitlines()) == 1


def test_cli_eval_csv_with_byte_order_mark(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_bytes("x,y\n1,2\n3,4\n".encode("utf-8-sig"))
    code, out, err = run(["eval", "x + y", "--data", str(f)], capsys)
    assert code == 0 and out.split() == ["3.0", "7.0"], err


def test_cli_eval_header_only_csv(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text("x,y\n")
    code, out, err = run(["eval", "x + y", "--data", str(f)], capsys)
    assert code == 2 and "no data rows" in err and not out


def test_cli_eval_complex_npy(tmp_path, capsys):
    f = tmp_path / "c.npy"
    np.save(f, np.arange(3) + 1j)
    code, _, err = run(["eval", "x + 1", "--data", str(f)], capsys)
    assert code == 2 and "complex" in err


@pytest.mark.parametrize("X", [np.zeros((10, 0)), np.ones((10, 2)) + 1j, np.array([["a", "b"]] * 10)],
                         ids=["no-columns", "complex", "strings"])
def test_symbolic_regressor_refuses_bad_X(X):
    from exprc.search.sr import SymbolicRegressor
    with pytest.raises(exprc.ExprcError):
        SymbolicRegressor().fit(X, np.zeros(10))
