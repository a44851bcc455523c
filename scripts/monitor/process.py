"""Finding the server process (by PID or by the port it listens on) and sampling it."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import psutil


class ProcessNotFound(Exception):
    """No process matches the PID or port given."""


def find_by_port(port: int) -> psutil.Process:
    """The process listening on ``port`` (TCP), whatever it is called."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    raise ProcessNotFound(f"no process is listening on TCP port {port}")


def find_process(pid: int | None, port: int | None) -> psutil.Process:
    if pid is not None:
        try:
            return psutil.Process(pid)
        except psutil.NoSuchProcess:
            raise ProcessNotFound(f"no process with PID {pid}") from None
    if port is not None:
        return find_by_port(port)
    raise ProcessNotFound("give --pid or --port (or a --url whose port the server listens on)")


@dataclass
class ProcessSample:
    ts: float
    cpu_percent: float
    rss_mb: float
    threads: int
    fds: int
    connections: int
    established: int

    def as_dict(self) -> dict:
        return asdict(self)


class ProcessSampler:
    def __init__(self, proc: psutil.Process) -> None:
        self.proc = proc
        self.proc.cpu_percent(None)  # prime: the first call always returns 0.0

    def sample(self) -> ProcessSample:
        p = self.proc
        with p.oneshot():
            conns = p.net_connections(kind="tcp")
            return ProcessSample(
                ts=time.time(),
                cpu_percent=p.cpu_percent(None),
                rss_mb=p.memory_info().rss / 2**20,
                threads=p.num_threads(),
                fds=p.num_fds() if hasattr(p, "num_fds") else -1,
                connections=len(conns),
                established=sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED),
            )
