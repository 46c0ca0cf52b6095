"""Settings for the servers `warmline bench` (and the multi-process tests) start: the
product's own, plus the benchmark trigger's URL and token. The product's URLs carry no
benchmark route."""

from warmline.settings import *  # noqa: F403
from warmline.settings import env_str

ROOT_URLCONF = "warmline_tools.bench.urls"
# Enables POST /bench/publish for callers that send this token in X-Bench-Token.
ALERT_BENCH_TOKEN = env_str("ALERT_BENCH_TOKEN", "")
