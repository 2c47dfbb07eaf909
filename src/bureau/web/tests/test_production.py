"""The production entry point: settings under BUREAU_HTTPS=1, `bureau web` (gunicorn + whitenoise)
and `bureau worker`, each run the way an operator runs them (subprocesses, a real socket)."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from bureau.web.management.commands import worker

REPO = Path(__file__).resolve().parents[4]
STATIC_FILE = REPO / "src/bureau/web/static/bureau/bureau.css"


def documented_production_env() -> dict[str, str]:
    """The README's production environment block, placeholders filled in."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- production-env -->\s*```sh\n(.*?)```", readme, re.S)
    assert block, "README lost its production environment block"
    env = {}
    for line in block.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        if name == "BUREAU_SECRET_KEY":
            value = secrets.token_urlsafe(50)
        env[name] = re.sub(r"<[^>]*>", "placeholder", value)
    return env


def base_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment less what configures Bureau or Django (the test run's own)."""
    own = ("BUREAU_", "DATABASE_URL", "DJANGO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env["BUREAU_VAR_DIR"] = str(tmp_path / "var")
    return env


def run_check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bureau.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    env = base_env(tmp_path) | documented_production_env()
    assert env["BUREAU_HTTPS"] == "1"
    # The documented /var/lib/bureau is the operator's; settings create BUREAU_VAR_DIR.
    env["BUREAU_VAR_DIR"] = str(tmp_path / "var")
    result = run_check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_the_audit_key(tmp_path):
    """A process started without BUREAU_AUDIT_KEY would chain under a key of its own: under
    BUREAU_HTTPS=1 it stops with a message instead, and generates no key file."""
    env = base_env(tmp_path) | documented_production_env()
    del env["BUREAU_AUDIT_KEY"]
    result = run_check_deploy(env)
    assert result.returncode != 0
    assert "BUREAU_AUDIT_KEY must be set in production" in result.stderr
    assert not (tmp_path / "var" / "audit_key").exists()


def test_licensed_code_tables_are_read_from_the_environment(tmp_path):
    env = base_env(tmp_path) | {"BUREAU_NCCI_CSV": "/licensed/ncci.csv", "BUREAU_MUE_CSV": "/m.csv"}
    code = (
        "from django.conf import settings as s; "
        "print('tables', s.BUREAU_NCCI_CSV, s.BUREAU_MUE_CSV)"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bureau.cli", "shell", "-c", code],
        env=env, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("tables ")]
    assert line.split()[1:] == ["/licensed/ncci.csv", "/m.csv"], result.stderr


def test_check_deploy_warns_without_bureau_https(tmp_path):
    """The same environment less BUREAU_HTTPS: the four warnings the production block answers."""
    env = base_env(tmp_path) | documented_production_env()
    env["BUREAU_VAR_DIR"] = str(tmp_path / "var")
    del env["BUREAU_HTTPS"]
    result = run_check_deploy(env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_an_operator_may_opt_out_of_hsts_subdomains_and_preload(tmp_path):
    env = base_env(tmp_path) | documented_production_env()
    env |= {
        "BUREAU_VAR_DIR": str(tmp_path / "var"),
        "BUREAU_HSTS_INCLUDE_SUBDOMAINS": "0",
        "BUREAU_HSTS_PRELOAD": "0",
    }
    result = run_check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def wait_until_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"bureau web exited with {proc.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"bureau web did not listen on {port}:\n{log.read_text()}")


def test_bureau_web_serves_the_login_page_and_static_files_over_a_socket(tmp_path):
    port = free_port()
    env = base_env(tmp_path) | {
        "BUREAU_HTTPS": "1",
        "BUREAU_AUDIT_KEY": secrets.token_urlsafe(48),
        "BUREAU_ALLOWED_HOSTS": "127.0.0.1",
        "BUREAU_BIND": f"127.0.0.1:{port}",
        "BUREAU_WEB_WORKERS": "1",
        # The login page reads no table; an empty database of its own keeps this test off the
        # suite's database on both backends.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
    }
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bureau.cli", "web"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_listening(proc, port, log)
        https = {"X-Forwarded-Proto": "https"}

        login = get(port, "/accounts/login/", https)
        assert login.status == 200, log.read_text()
        assert login.getheader("Server", "").startswith("gunicorn")
        assert b"Sign in" in login.body  # type: ignore[attr-defined]
        assert "max-age=31536000" in login.getheader("Strict-Transport-Security", "")
        assert "Secure" in login.getheader("Set-Cookie", "")

        # Plain HTTP (no proxy header) is sent to HTTPS.
        plain = get(port, "/accounts/login/", {})
        assert plain.status == 301
        assert plain.getheader("Location") == "https://127.0.0.1/accounts/login/"

        css = get(port, "/static/bureau/bureau.css", https)
        assert css.status == 200
        assert css.body == STATIC_FILE.read_bytes()  # type: ignore[attr-defined]
        assert css.getheader("Content-Type", "").startswith("text/css")
        assert "max-age" in css.getheader("Cache-Control", "")  # whitenoise, not Django's view
    finally:
        proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop, workers included
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Booting worker" in log.read_text()


def test_a_replaced_worker_serves_from_the_preloaded_app(tmp_path):
    """BUREAU_WEB_MAX_REQUESTS replaces a worker after that many requests; the app is loaded
    in the master, so the new worker forks ready and no request in between fails."""
    port = free_port()
    env = base_env(tmp_path) | {
        "BUREAU_AUDIT_KEY": secrets.token_urlsafe(48),
        "BUREAU_ALLOWED_HOSTS": "127.0.0.1",
        "BUREAU_BIND": f"127.0.0.1:{port}",
        "BUREAU_WEB_WORKERS": "1",
        "BUREAU_WEB_MAX_REQUESTS": "3",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
    }
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bureau.cli", "web"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_listening(proc, port, log)
        statuses = []
        for _ in range(8):
            deadline = time.monotonic() + 20
            while True:  # the moment between a worker's exit and its successor's first accept
                try:
                    statuses.append(get(port, "/accounts/login/", {}).status)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert statuses == [200] * 8, log.read_text()
    assert log.read_text().count("Booting worker") >= 3, log.read_text()


@pytest.mark.parametrize("value", ["-1", "½", "lots"])
def test_bureau_web_names_a_bad_max_requests(value, monkeypatch):
    monkeypatch.setenv("BUREAU_WEB_MAX_REQUESTS", value)
    with pytest.raises(CommandError, match="BUREAU_WEB_MAX_REQUESTS must be a whole number"):
        call_command("web")


@override_settings(DEBUG=True)
def test_bureau_web_refuses_to_serve_debug_pages():
    with pytest.raises(CommandError, match="BUREAU_DEBUG"):
        call_command("web")


@pytest.mark.parametrize("workers", ["0", "²", "9" * 50, "many"])
def test_bureau_web_names_a_bad_worker_count(workers):
    with pytest.raises(CommandError, match="BUREAU_WEB_WORKERS must be a whole number"):
        call_command("web", workers=workers)


@override_settings(DEBUG=True)
def test_bureau_worker_is_the_database_worker_without_autoreload():
    parser = worker.Command().create_parser("bureau", "worker")
    options = parser.parse_args(["--batch"])
    assert options.reload is False  # db_worker would reload under DEBUG, killing a running task
    assert options.batch is True
    assert parser.parse_args(["--reload"]).reload is True
    # Bureau's worker, which sweeps the jobs of dead workers, not the library's bare one.
    from bureau.remittance.management.commands.db_worker import Command as SweepingWorker

    assert issubclass(worker.Command, SweepingWorker)
