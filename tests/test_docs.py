"""The README stays true: its op table is the registry's, its test command is what CI runs."""
import re
from pathlib import Path

from exprc.docs import ops_table, section

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_op_table_matches_the_registry():
    assert section(README, "ops-table") == ops_table().strip(), "run: python -m exprc.docs README.md"


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    assert test_command.strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_has_a_speed_table():
    assert "| expression |" in section(README, "bench-eval")
