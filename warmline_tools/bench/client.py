"""The benchmark's HTTP client: a separate process that times requests to a running server,
as a user's browser meets them.

    python -m warmline_tools.bench.client < plan.json > timings.json

It imports nothing of Warmline or Django (the standard library only), so it costs the
server's two cores little and starts quickly. The plan (JSON on stdin)::

    {"host": "127.0.0.1", "port": 8123,
     "cookies": {"sessionid": "..."},          # a signed-in session
     "csrf_cookie": "csrftoken",               # the CSRF cookie's name
     "steps": [
        {"type": "get", "key": "today", "url": "/", "timed": true},
        {"type": "get", "key": "contact_page", "url": "/contacts/7/", "panels": true},
        {"type": "get", "key": "next_card", "url": "/calls/go/", "hx": true},
        {"type": "call_log", "key": "log_outcome", "url": "/calls/go/",
         "log_url": "/calls/log/", "count": 100, "outcomes": ["voicemail", "no_answer"]}
     ]}

* `get` times one GET (keep-alive, one connection for the whole plan); with `"panels":
  true` it then fetches every fragment the page loads with htmx on load (`hx-get` with
  `hx-trigger="load"`, sent with `HX-Request` as htmx sends it) and times the page plus
  its panels; `"timed": false` only fetches (warm-up, or a page that sets the CSRF cookie).
* `call_log` logs `count` outcomes in call mode, each for the card the previous response
  showed (the first card from a GET of `url`), posting with the CSRF token from the
  cookie, and times each POST (it returns the next card).

Anything but 200 stops the run: the output is then `{"error": "..."}` and the exit status 1.
Otherwise the output (JSON on stdout) is `{"samples": {key: [ms, ...]}, "requests": n}`.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import time
from html import unescape
from typing import Any
from urllib.parse import urlencode

_PANEL_TAG = re.compile(r"<[^>]*\bhx-trigger=\"load\"[^>]*>")
_HX_GET = re.compile(r"\bhx-get=\"([^\"]+)\"")
_CONTACT = re.compile(r'class="cm-card"[^>]*data-contact="(\d+)"')
_SHOWN_AT = re.compile(r'name="shown_at" value="([^"]+)"')


class ClientError(Exception):
    """The server answered something other than what the plan expects."""


def panel_urls(html: str) -> list[str]:
    """The fragments a page loads with htmx as soon as it is shown."""
    urls = []
    for tag in _PANEL_TAG.findall(html):
        found = _HX_GET.search(tag)
        if found:
            urls.append(unescape(found.group(1)))
    return urls


class Browser:
    """One keep-alive connection and a cookie jar: what one browser tab uses."""

    def __init__(
        self, *, host: str, port: int, cookies: dict[str, str], csrf_cookie: str = "csrftoken"
    ) -> None:
        self.host, self.port = host, port
        self.cookies = dict(cookies)
        self.csrf_cookie = csrf_cookie
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.requests = 0

    def send(self, method: str, url: str, *, body: str = "", hx: bool = False) -> str:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Accept": "text/html",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if hx:
            headers["HX-Request"] = "true"
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get(self.csrf_cookie, "")
            headers["Referer"] = f"http://{self.host}:{self.port}{url}"
        try:
            self.conn.request(method, url, body=body or None, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection: open a new one, once.
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.conn.request(method, url, body=body or None, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        self.requests += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status != 200:
            raise ClientError(f"{method} {url} answered {response.status}")
        return text

    def close(self) -> None:
        self.conn.close()


def _card(html: str) -> tuple[str, str]:
    contact, shown = _CONTACT.search(html), _SHOWN_AT.search(html)
    if contact is None or shown is None:
        raise ClientError("call mode showed no card: the queue ran dry")
    return contact.group(1), unescape(shown.group(1))


def run(plan: dict[str, Any]) -> dict[str, Any]:
    browser = Browser(
        host=plan["host"],
        port=int(plan["port"]),
        cookies=plan.get("cookies", {}),
        csrf_cookie=plan.get("csrf_cookie", "csrftoken"),
    )
    samples: dict[str, list[float]] = {}
    try:
        for step in plan["steps"]:
            key = str(step.get("key", ""))
            if step["type"] == "get":
                started = time.perf_counter()
                html = browser.send("GET", step["url"], hx=bool(step.get("hx")))
                if step.get("panels"):
                    for url in panel_urls(html):
                        browser.send("GET", url, hx=True)
                if step.get("timed", True):
                    samples.setdefault(key, []).append((time.perf_counter() - started) * 1000)
            elif step["type"] == "call_log":
                html = browser.send("GET", step["url"], hx=True)
                outcomes = list(step["outcomes"])
                for i in range(int(step["count"])):
                    contact, shown_at = _card(html)
                    body = urlencode(
                        {
                            "contact": contact,
                            "outcome": outcomes[i % len(outcomes)],
                            "shown_at": shown_at,
                            "reason": "bench over HTTP",
                        }
                    )
                    started = time.perf_counter()
                    html = browser.send("POST", step["log_url"], body=body, hx=True)
                    samples.setdefault(key, []).append((time.perf_counter() - started) * 1000)
                    if f'data-contact="{contact}"' in html:
                        raise ClientError("logging an outcome did not move on to the next card")
            else:
                raise ClientError(f"unknown step type {step['type']!r}")
    finally:
        browser.close()
    return {"samples": samples, "requests": browser.requests}


def main() -> int:
    plan = json.load(sys.stdin)
    try:
        result = run(plan)
    except (ClientError, OSError, http.client.HTTPException) as exc:
        json.dump({"error": f"{type(exc).__name__}: {exc}"}, sys.stdout)
        return 1
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
