"""Rules every template keeps, checked by reading them all.

- No inline JavaScript: the CSP (`script-src 'self' 'nonce-…'`) blocks `on…=` handler attributes
  and `javascript:` URLs, so a page that relies on one silently does nothing in a browser.
  Behaviour comes from static scripts (`bureau/bureau.js`, e.g. `data-autosubmit`).
- Every form that writes carries the practice context its page was opened under
  (`web/_opened_under.html`), so a write can be refused when it names another practice than
  its record's (tenancy/context.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps

import bureau

# Forms that need no practice context: there is no actor yet (sign-in, second factor), the
# form sets the context itself (the switcher), or it ends the session (sign out).
NO_CONTEXT_FORMS = {
    ("accounts/login.html", 0),
    ("accounts/mfa_verify.html", 0),
    ("accounts/mfa_verify.html", 1),  # "Use another login": sign out
    ("accounts/mfa_enroll.html", 0),
    ("web/base.html", 0),  # the practice switcher
    ("web/base.html", 1),  # sign out
}
# `on…=` handlers, and htmx's `hx-on…` attributes, which evaluate their text as script too.
INLINE_HANDLER = re.compile(r"<[^>]*\s(?:on[a-z]+|(?:data-)?hx-on[:\-a-z]*)\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post\b.*?</form>", re.IGNORECASE | re.DOTALL)
SOURCE = Path(bureau.__file__).resolve().parent


def templates() -> dict[str, str]:
    """Every template of Bureau's apps, by its name (`app/page.html`)."""
    found: dict[str, str] = {}
    for config in apps.get_app_configs():
        root = Path(config.path) / "templates"
        if not root.is_relative_to(SOURCE) or not root.is_dir():
            continue
        for path in root.rglob("*.html"):
            found[path.relative_to(root).as_posix()] = path.read_text()
    return found


def test_templates_are_found() -> None:
    found = templates()
    assert "web/base.html" in found and "claims/claim_detail.html" in found
    assert len(found) > 40


def test_no_inline_event_handlers_or_javascript_urls() -> None:
    problems = []
    for name, text in sorted(templates().items()):
        for pattern, what in ((INLINE_HANDLER, "inline handler"), (JAVASCRIPT_URL, "javascript:")):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {what}: {match.group(0)[-60:]!r}")
    assert not problems, "CSP blocks these; use a data- attribute and bureau.js:\n" + "\n".join(
        problems
    )


def test_no_inline_handlers_in_python_widgets() -> None:
    """Form widgets' attrs written in Python are HTML too."""
    attr = re.compile(r"[\"']on[a-z]+[\"']\s*:")
    problems = [
        f"{path.relative_to(SOURCE)}: {m.group(0)}"
        for path in SOURCE.rglob("*.py")
        if "tests" not in path.parts
        for m in attr.finditer(path.read_text())
    ]
    assert not problems, problems


def test_the_scan_catches_what_it_looks_for() -> None:
    assert INLINE_HANDLER.search('<select name="p" onchange="this.form.submit()">')
    assert INLINE_HANDLER.search("<a\nONCLICK='x()'>")
    assert INLINE_HANDLER.search('<form hx-on::after-request="x()">')
    assert INLINE_HANDLER.search('<button hx-on-click="x()">')
    assert not INLINE_HANDLER.search('<select name="p" data-autosubmit> only= once=')
    assert JAVASCRIPT_URL.search('<a href="JavaScript:void(0)">')
    assert len(POST_FORM.findall('<form method="post">a</form><form method=get></form>')) == 1


def test_every_form_that_writes_carries_its_practice_context() -> None:
    missing = []
    seen = set()
    for name, text in sorted(templates().items()):
        for index, form in enumerate(POST_FORM.findall(text)):
            seen.add((name, index))
            if (name, index) in NO_CONTEXT_FORMS:
                assert "_opened_under.html" not in form, (name, index)
                continue
            if 'include "web/_opened_under.html"' not in form:
                missing.append(f"{name} (form {index + 1}): {form[:80]!r}")
    assert not missing, (
        'add {% include "web/_opened_under.html" %} after {% csrf_token %}:\n' + "\n".join(missing)
    )
    assert NO_CONTEXT_FORMS <= seen, f"exempt forms that are gone: {NO_CONTEXT_FORMS - seen}"
