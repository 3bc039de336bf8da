from django.core.management.base import BaseCommand, CommandError

from organizations.audit import audit_verify


class Command(BaseCommand):
    help = "Walk the audit hash chain and report the first broken link."

    def handle(self, *args, **options):
        n, broken = audit_verify()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at entry #{broken.pk} ({broken.at:%Y-%m-%d %H:%M:%S} {broken.action} "
                f"{broken.object_type}#{broken.object_id}); {n - 1} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {n} entries verified."))
