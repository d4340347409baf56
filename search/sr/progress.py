"""The progress display of a long fit (a rich bar, else a line every few seconds)."""
from __future__ import annotations


import sys
import time


from .results import fmt_loss


class Progress:
    """A rich progress bar (best loss, front size, generation) on stderr; plain lines without rich."""

    def __init__(self, enabled: bool, time_limit, max_evaluations):
        self.enabled = enabled
        self.total = float(max_evaluations) if max_evaluations else (float(time_limit) if time_limit else None)
        self.by_evals = bool(max_evaluations)
        self.bar = None
        self.last = 0.0
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        except ImportError:
            return
        self.bar = Progress(TextColumn("[bold]symbolic regression"), BarColumn(),
                            TextColumn("gen {task.fields[gen]}"), TextColumn("evals {task.fields[evals]}"),
                            TextColumn("best loss {task.fields[best]}"), TextColumn("front {task.fields[front]}"),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("search", total=self.total, gen=0, evals=0, best="-", front=0)
        self.bar.start()

    def update(self, gen: int, evals: int, elapsed: float, best: float, front: int) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            done = evals if self.by_evals else elapsed
            self.bar.update(self.task, completed=min(done, self.total) if self.total else None, gen=gen,
                            evals=evals, best=fmt_loss(best), front=front)
        elif time.monotonic() - self.last > 2.0:
            self.last = time.monotonic()
            print(f"[{elapsed:.0f}s] gen {gen} evals {evals} best loss {fmt_loss(best)} front {front}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
