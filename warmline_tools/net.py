"""Local network and child-process plumbing shared by the benchmarks and the tests that run
real servers: a free port, waiting for a server to answer, stopping a process."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from typing import Any

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_http_ok(
    url: str, *, timeout: float = 30.0, proc: subprocess.Popen[Any] | None = None
) -> None:
    """Return once `url` answers 200; RuntimeError when `proc` exits first or `timeout`
    seconds pass."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return
        except Exception as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s ({last})")


def stop_process(proc: subprocess.Popen[Any], *, timeout: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after `timeout` seconds; the process's exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)
