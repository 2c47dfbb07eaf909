"""The `bureau` command: Django's management commands with the project's settings.

    bureau migrate | seed-demo | serve | audit verify | audit purge --before DATE |
    createuser ... | demo-otp USER | any Django command
Hyphenated names map to the underscored command modules (`seed-demo` -> `seed_demo`).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "bureau"
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
