from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Bureau on http://127.0.0.1:8000 (development server, static files included)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        self.stdout.write(f"Bureau is at http://{addrport}/  (Ctrl-C stops it)")
        call_command("runserver", addrport, use_reloader=False, use_threading=True)
