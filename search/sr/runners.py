"""Where the islands run: this process, worker processes (n_jobs) or Ray actors; the
same steps, so the same results for a seed."""
from __future__ import annotations


import os

import numpy as np

from exprc.errors import ExprcError

from .engine import IslandConfig
from .island import Island, step_islands


class LocalRunner:
    """Islands in this process, stepped one after the other."""

    def __init__(self, X, y, cfg: IslandConfig, seeds, states=None):
        self.islands = [Island(X, y, cfg, s, k) for k, s in enumerate(seeds)]
        if states:
            for isl, st in zip(self.islands, states):
                isl.set_state(st)

    def step(self, immigrants, want_state: bool) -> list[dict]:
        return step_islands(self.islands, immigrants, want_state)

    def close(self) -> None:
        pass


class ProcessRunner:
    """Islands spread over k worker processes of this machine (n_jobs), stepped in parallel;
    the results are LocalRunner's, bit for bit. Workers run `python -m exprc.search.sr.worker`
    (see there), so the caller's script is never imported again. A worker that dies (killed,
    out of memory) is restarted with its islands' last known state (kept when checkpointing)
    or fresh seeds; the archive keeps what they had found. Past MAX_RESTARTS the fit goes on
    with the workers left, and ends, keeping its front, when none is left."""

    MAX_RESTARTS = 4

    def __init__(self, n_jobs: int, X, y, cfg: IslandConfig, seeds, states=None):
        n = len(seeds)
        self.groups = [list(range(w, n, n_jobs)) for w in range(n_jobs)]
        self.data = (X, y, cfg)
        self.seeds = list(seeds)
        self.states = list(states) if states else [None] * n
        self.restarts = 0
        self.env = {"EXPRC_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // n_jobs))}
        self.procs: list = []
        try:
            self.procs = [self._start(g) for g in self.groups]
            for p in self.procs:
                self._receive(p)
        except BaseException:
            self.close()
            raise

    def _start(self, group):
        from exprc.ipc import send, start_worker
        p = start_worker("exprc.search.sr.worker", self.env)
        X, y, cfg = self.data
        states = [self.states[i] for i in group]
        send(p.stdin, (X, y, cfg, [(self.seeds[i], i) for i in group],
                       states if all(st is not None for st in states) else None))
        return p

    @staticmethod
    def _receive(proc):
        from exprc.ipc import receive
        try:
            kind, payload = receive(proc.stdout)
        except EOFError:
            raise WorkerLost from None
        if kind == "error":
            raise ExprcError(f"search worker failed: {payload}")
        return payload

    def _lost(self, w: int) -> None:
        """Worker w died: restart it (fresh seeds where no state is known), or drop it."""
        import warnings
        dead = self.procs[w]
        dead.kill()
        code = dead.wait()
        self.procs[w] = None
        group = self.groups[w]
        if self.restarts < self.MAX_RESTARTS:
            self.restarts += 1
            for i in group:
                if self.states[i] is None:
                    self.seeds[i] = self.seeds[i].spawn(1)[0]
            try:
                p = self._start(group)
                self._receive(p)
                self.procs[w] = p
            except (WorkerLost, OSError):
                pass
        left = sum(p is not None for p in self.procs)
        warnings.warn(f"a search worker process ended (exit code {code}); "
                      + ("restarted it" if self.procs[w] is not None else f"going on with {left} worker(s)"),
                      RuntimeWarning, stacklevel=3)

    def step(self, immigrants, want_state: bool) -> list[dict]:
        from exprc.ipc import send
        sent = []                         # workers that have this round's message
        for w, (p, g) in enumerate(zip(self.procs, self.groups)):
            if p is None:
                continue
            try:
                send(p.stdin, ("step", [list(immigrants[i]) for i in g], want_state))
                sent.append(w)
            except (OSError, ValueError):
                self._lost(w)             # a restarted worker joins next round
        out: list = [None] * len(self.seeds)
        for w in sent:
            p, g = self.procs[w], self.groups[w]
            try:
                results = self._receive(p)
            except WorkerLost:
                self._lost(w)
                continue
            for i, r in zip(g, results):
                out[i] = r
                if want_state:
                    self.states[i] = r["state"]
        if all(p is None for p in self.procs):
            raise WorkerLost
        for i, r in enumerate(out):       # islands lost this round: nothing found, nothing to pass on
            if r is None:
                out[i] = {"front": [], "evaluations": 0, "emigrants": [], "generation": None,
                          "state": self.states[i]}
        return out

    def close(self) -> None:
        from exprc.ipc import send
        live = [p for p in self.procs if p is not None]
        for p in live:
            try:
                send(p.stdin, ("close",))
                p.stdin.close()
            except (OSError, ValueError):
                pass
        for p in live:
            try:
                p.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a stuck worker is ended
                p.kill()
            if p.stdout:
                p.stdout.close()
        self.procs = []


class WorkerLost(Exception):
    """A worker process's pipe closed: it died."""


class RayRunner:
    """The same Island class as Ray actors; one generation per call, all islands in parallel."""

    def __init__(self, address: str, X, y, cfg: IslandConfig, seeds, states=None):
        try:
            import ray
        except ImportError:
            raise ExprcError("ray_address needs Ray: pip install 'exprc[ray]'") from None
        self.ray = ray
        if not ray.is_initialized():
            if address is not None:
                _check_ray_address(address)
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(Island)
        xr, yr = ray.put(np.ascontiguousarray(X)), ray.put(np.ascontiguousarray(y))
        self.actors = [remote.remote(xr, yr, cfg, s, k) for k, s in enumerate(seeds)]
        if states:
            ray.get([a.set_state.remote(st) for a, st in zip(self.actors, states)])

    def step(self, immigrants, want_state: bool) -> list[dict]:
        return self.ray.get([a.step.remote(list(imm), want_state) for a, imm in zip(self.actors, immigrants)])

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)


def _check_ray_address(address: str, timeout: float = 5.0) -> None:
    """Refuse, in at most `timeout` seconds, an address where nothing listens: ray.init retries
    such an address for minutes, which no time limit covers."""
    import socket
    if address == "auto":
        return
    where = address[len("ray://"):] if address.startswith("ray://") else address
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise ExprcError(f"ray_address must be host:port, ray://host:port, 'auto' or 'local', got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ExprcError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); "
                         "start one with `ray start --head`, or leave out the address") from None
