"""What logs say about a request's URL: its route template (``/participants/<code>``), never
the participant code, specimen ID or file name in it; a URL no route matches is redacted.

Used by the app's own access log (``biobank.access``, one line per request), the security log,
and a filter on Werkzeug's request log (the development server ``make run`` uses). Under
gunicorn, leave its access log off (its default) and read ``biobank.access``: gunicorn's format
atoms can only print the raw path.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

access_log = logging.getLogger("biobank.access")

# A path segment that may carry data: anything with a digit, or longer than a route word.
_DATA_SEGMENT = re.compile(r"[0-9]|^[^/]{33,}$")


def redact(path: str) -> str:
    """``/participants/S01-0001/gate`` → ``/participants/<redacted>/gate``."""
    parts = path.split("?", 1)[0].split("/")
    return "/".join("<redacted>" if _DATA_SEGMENT.search(p) else p for p in parts)


def route_of_path(url_map: Map, method: str, path: str) -> str:
    """The route template a path would be served by, else the redacted path."""
    try:
        rule, _args = url_map.bind("localhost").match(path.split("?", 1)[0], method,
                                                      return_rule=True)
    except HTTPException:
        return redact(path)
    except Exception:  # a malformed path (bad percent-encoding): say nothing of it
        return "<unparsable>"
    return str(rule.rule)


def route_of_request() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else redact(request.path)


class RouteTemplateFilter(logging.Filter):
    """Rewrites Werkzeug's request lines (``"GET /participants/S01-0001 HTTP/1.1" 200 -``) to
    name the route template instead of the path."""

    # Werkzeug colours the line for a terminal: ANSI codes around it are kept as they are.
    _LINE = re.compile(r"^(?P<pre>(?:\x1b\[[\d;]*m)*)(?P<method>[A-Z]+) (?P<path>\S+) "
                       r"(?P<proto>HTTP/[\d.]+)(?P<post>(?:\x1b\[[\d;]*m)*)$")

    url_map: Map | None = None  # the last app's (every app of this project has the same routes)

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            m = self._LINE.match(args[0])
            if m is not None and self.url_map is not None:
                route = route_of_path(self.url_map, m["method"], m["path"])
                record.args = (f"{m['pre']}{m['method']} {route} {m['proto']}{m['post']}",
                               *args[1:])
        return True


_FILTER = RouteTemplateFilter()


def init_app(app: Flask) -> None:
    # One filter per process (tests build hundreds of apps), pointed at the newest app's routes.
    _FILTER.url_map = app.url_map
    logging.getLogger("werkzeug").addFilter(_FILTER)

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _access(response: Response) -> Response:
        started = g.get("request_started")
        ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        user = getattr(request, "_biobank_user", None) or "-"
        access_log.info("%s %s %d %.1fms user=%s", request.method, route_of_request(),
                        response.status_code, ms, user)
        return response
