"""`bureau web`: the production web server, gunicorn serving Bureau (static files by whitenoise).

Run it behind a TLS-terminating proxy with BUREAU_HTTPS=1, and `bureau worker` beside it for
background jobs (README "Running in production").

BUREAU_BIND         address gunicorn listens on (default 127.0.0.1:8000): the proxy's side only
BUREAU_WEB_WORKERS  worker processes (default 2 x CPU cores + 1, gunicorn's rule of thumb)
BUREAU_WEB_THREADS  threads per worker (default 1); more than 1 serves a worker's requests
                    concurrently (gunicorn's gthread worker), each thread with its connection
BUREAU_WEB_TIMEOUT  seconds a request may take before its worker is replaced (default 60)
BUREAU_WEB_MAX_REQUESTS
                    requests a worker serves before it is replaced (default 20000, 0 never),
                    with up to a tenth more at random so the workers are not replaced at once
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication


def _positive_int(name: str, raw: str, *, most: int = 10_000) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= most:
        raise CommandError(f"{name} must be a whole number from 1 to {most}, not {raw!r}")
    return int(raw)


def _whole_number(name: str, raw: str) -> int:
    """0 allowed (a setting's "never"), else as `_positive_int`."""
    return 0 if raw == "0" else _positive_int(name, raw, most=10_000_000)


class BureauGunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn with its options set here rather than parsed from gunicorn's own command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__(prog="bureau web")

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIHandler:
        # Loaded once in the master (preload_app): a worker forks with Django set up, so a
        # replaced worker serves at once instead of spending seconds of CPU on imports.
        from bureau.wsgi import application

        # Nothing opened while loading may be inherited by the forked workers: each worker
        # opens its own database connections on its first request.
        connections.close_all()
        return application


class Command(BaseCommand):
    help = (
        "Serve Bureau under gunicorn for production, behind a TLS proxy (BUREAU_HTTPS=1). "
        "Bind and workers come from BUREAU_BIND and BUREAU_WEB_WORKERS unless given here."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", help="host:port or unix:PATH (default: BUREAU_BIND)")
        parser.add_argument("--workers", help="worker processes (default: BUREAU_WEB_WORKERS)")

    def handle(self, *args: Any, bind: str | None, workers: str | None, **options: Any) -> None:
        if settings.DEBUG:
            # Debug pages print settings, local variables and SQL: patient data on an error page.
            raise CommandError("BUREAU_DEBUG is on: bureau web refuses to serve debug pages")
        env = os.environ
        workers = workers or env.get("BUREAU_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1))
        max_requests = _whole_number(
            "BUREAU_WEB_MAX_REQUESTS", env.get("BUREAU_WEB_MAX_REQUESTS", "20000")
        )
        gunicorn_options = {
            "bind": [bind or env.get("BUREAU_BIND", "127.0.0.1:8000")],
            "workers": _positive_int("BUREAU_WEB_WORKERS", workers),
            "threads": _positive_int("BUREAU_WEB_THREADS", env.get("BUREAU_WEB_THREADS", "1")),
            "timeout": _positive_int("BUREAU_WEB_TIMEOUT", env.get("BUREAU_WEB_TIMEOUT", "60")),
            # No access log: URLs carry search terms (patient names); the audit log has requests.
            "accesslog": None,
            "errorlog": "-",
            # Replace each worker now and then so a slow leak cannot grow for weeks. Not
            # often: under load 1,000 requests was half a minute, and each replacement cost
            # a worker's start (imports, cold caches, new connections).
            "max_requests": max_requests,
            "max_requests_jitter": max_requests // 10,
            "preload_app": True,
            # gunicorn's runtime control socket (one fixed path per user) is not used by Bureau.
            "control_socket_disable": True,
        }
        if not getattr(settings, "BUREAU_HTTPS", False):
            self.stderr.write(
                "BUREAU_HTTPS is not set: cookies are not Secure and no HSTS is sent. "
                "Set it when serving behind a TLS proxy."
            )
        # Nothing opened in this process may be inherited by the forked workers.
        connections.close_all()
        BureauGunicorn(gunicorn_options).run()
