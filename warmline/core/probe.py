"""`python -m warmline.core.probe postgres|redis`: exit 0 when the service answers.

Used by `make test` to decide whether to run the suite a second time on PostgreSQL + Redis.
"""

from __future__ import annotations

import os
import socket
import sys


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def main() -> int:
    what = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    if what == "postgres":
        host = os.environ.get("PGHOST", "127.0.0.1")
        return 0 if answers(host, int(os.environ.get("PGPORT", "5432"))) else 1
    if what == "redis":
        return 0 if answers("127.0.0.1", 6379) else 1
    print(f"unknown service {what!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
