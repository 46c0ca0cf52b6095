"""Where a service the suite needs is missing: skip on a developer's machine, fail in CI.

CI (`CI=true`, see .ci/run) installs Chromium and runs PostgreSQL and Redis, so a missing
one there is a broken run, not a reason to pass with less tested."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_missing(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)
