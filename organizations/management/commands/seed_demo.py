"""Load the demo data: each app that has a ``demo.seed(context)`` adds its part, in dependency order."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

APPS = ["organizations", "allocations", "reporting", "enforcement"]


class Command(BaseCommand):
    help = "Load idempotent demo data (authorities, enterprises, users, plans, batches, reports)."

    def handle(self, *args, **options):
        context: dict = {}
        with transaction.atomic():
            for app in APPS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                result = module.seed(context)
                context.update(result or {})
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in at http://127.0.0.1:8000/ with:"))
        for username, role in context.get("users", []):
            self.stdout.write(f"  {username:<18} {role:<28} password: {context['password']}")
