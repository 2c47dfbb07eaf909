"""Deadlines read the same everywhere: days left, due today, or overdue — never "-1 days left"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bureau.web.templatetags.deadlines import time_left

SRC = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("days", "reads"),
    [
        (3, "3 days left"),
        (1, "1 day left"),
        (0, "due today"),
        (-1, "overdue by 1 day"),
        (-45, "overdue by 45 days"),
        (None, ""),
    ],
)
def test_time_left(days: int | None, reads: str) -> None:
    assert time_left(days) == reads


def test_every_template_showing_days_left_says_it_through_the_filter() -> None:
    shown = re.compile(r"\{\{\s*[\w.]*days_left\s*(\|(?!time_left)[^}]*)?\}\}")
    offenders = [
        f"{path.relative_to(SRC)}: {match.group(0)}"
        for path in SRC.rglob("templates/**/*.html")
        for match in shown.finditer(path.read_text())
    ]
    assert offenders == []
