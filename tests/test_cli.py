"""The command line: output on success, one line and exit code 2 on bad input."""
import json
import subprocess
import sys

import numpy as np
import pytest

from exprc.cli import main


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_compile_emits_llvm_asm_and_c(capsys, tmp_path):
    code, out, _ = run(["compile", "sin(x) * y + 1", "--dtype", "f32", "--emit", "llvm"], capsys)
    assert code == 0 and "define void" in out
    code, out, _ = run(["compile", "x * y + 1", "--emit", "asm"], capsys)
    assert code == 0 and "exprc_kernel" in out
    target = tmp_path / "k.c"
    code, _, _ = run(["compile", "max(x, 0) + $a", "--emit", "c", "-o", str(target)], capsys)
    assert code == 0 and "exprc_maximumf" in target.read_text()


def test_eval_reads_csv_npy_npz(capsys, tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("x,y\n1,2\n3,4\n")
    code, out, _ = run(["eval", "x * y", "--data", str(csv)], capsys)
    assert code == 0 and out.split() == ["2.0", "12.0"]
    npy = tmp_path / "d.npy"
    np.save(npy, np.array([[1.0, 2.0], [3.0, 4.0]]))
    result = tmp_path / "r.npy"
    code, _, _ = run(["eval", "x + y", "--data", str(npy), "-o", str(result)], capsys)
    assert code == 0 and np.array_equal(np.load(result), [3.0, 7.0])
    npz = tmp_path / "d.npz"
    np.savez(npz, a=np.arange(3.0))
    code, out, _ = run(["eval", "a * 2", "--data", str(npz), "--dtype", "f32"], capsys)
    assert code == 0 and out.split() == ["0.0", "2.0", "4.0"]


@pytest.mark.parametrize("argv, fragment", [
    (["compile", "sinn(x)"], "did you mean 'sin'"),
    (["compile", "x +"], "unexpected end of input"),
    (["compile", "x", "--dtype", "int8"], "unsupported dtype"),
    (["eval", "x * z", "--data", "nope.csv"], "no such file"),
    (["bogus"], "invalid choice"),
    (["compile"], "required"),
])
def test_errors_are_one_line_and_exit_2(argv, fragment, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert fragment in err and err.count("\n") == 1 and err.startswith("exprc: error:")


def test_missing_column_is_reported(capsys, tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("x\n1\n")
    code, _, err = run(["eval", "x * w", "--data", str(csv)], capsys)
    assert code == 2 and "no column 'w'" in err


def test_console_script_runs_as_a_process():
    proc = subprocess.run([sys.executable, "-m", "exprc.cli", "compile", "x +* 1"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_ops_lists_every_function(capsys):
    code, out, _ = run(["ops"], capsys)
    assert code == 0 and "| atan2 |" in out and "| lazy_where |" not in out
