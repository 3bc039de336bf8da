"""Load the demo data: each app's ``demo.seed(context)`` adds its part, in dependency order.

The command lives in ``quota_portal`` because it is the only package allowed to know every app; the apps' demo
modules themselves only use their own services and the apps below them."""

from django.core.management.base import BaseCommand

from allocations import demo as allocations_demo
from enforcement import demo as enforcement_demo
from organizations import demo as organizations_demo
from quota_portal.transactions import durable_boundary
from reporting import demo as reporting_demo

SEEDERS = [organizations_demo.seed, allocations_demo.seed, reporting_demo.seed, enforcement_demo.seed]


class Command(BaseCommand):
    help = "Load idempotent demo data (authorities, enterprises, users, plans, batches, reports)."

    def handle(self, *args, **options):
        context: dict = {}
        with durable_boundary():  # one transaction: the services of every app join it
            for seed in SEEDERS:
                context.update(seed(context) or {})
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in at http://127.0.0.1:8000/ with:"))
        for username, role in context.get("users", []):
            self.stdout.write(f"  {username:<18} {role:<28} password: {context['password']}")
