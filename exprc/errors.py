"""The errors exprc reports. Every user-facing failure is an ExprcError subclass
with a one-line message, so the CLI can print it and exit 2, and callers can catch one type."""
from __future__ import annotations


class ExprcError(Exception):
    """Base class of every error exprc raises on bad input."""


class ParseError(ExprcError, ValueError):
    """Text that is not a valid expression. Carries the line, column and what was expected."""

    def __init__(self, message: str, text: str = "", line: int = 0, column: int = 0,
                 expected: tuple[str, ...] = ()):
        self.reason = message
        self.text = text
        self.line = line
        self.column = column
        self.expected = tuple(expected)
        super().__init__(self._format())

    def _format(self) -> str:
        where = f" at line {self.line}, column {self.column}" if self.line else ""
        msg = f"{self.reason}{where}"
        if self.expected:
            msg += "; expected " + ", ".join(self.expected)
        if self.line:
            lines = self.text.split("\n")
            src = lines[self.line - 1] if self.line <= len(lines) else ""
            if len(src) > 80:  # keep the caret readable on long lines
                start = max(0, self.column - 40)
                src, col = src[start:start + 80], self.column - start
            else:
                col = self.column
            msg += f"\n  {src}\n  {' ' * max(col - 1, 0)}^"
        return msg

    @property
    def one_line(self) -> str:
        return self._format().splitlines()[0]


class TypeMismatch(ExprcError, TypeError):
    """Operands whose dtypes cannot be combined (for example float32 with float64)."""


class InputError(ExprcError, ValueError):
    """Data or settings that cannot be used (a ValueError, as scikit-learn's conventions ask)."""


class CompileError(ExprcError):
    """A program the chosen backend cannot compile."""


class BindError(ExprcError, TypeError):
    """A kernel called with missing, extra or badly shaped arguments."""
