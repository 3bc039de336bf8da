from django.core.management.base import BaseCommand

from organizations.audit import audit_seal, seal_file_path


class Command(BaseCommand):
    help = "Seal the audit chain heads now (HMAC under AUDIT_SEAL_KEY; database and AUDIT_SEAL_DIR)."

    def handle(self, *args, **options):
        seal = audit_seal()
        self.stdout.write(self.style.SUCCESS(
            f"Seal #{seal.number}: {len(seal.heads)} chain heads moved, {seal.entries} entries; "
            f"appended to {seal_file_path()}."))
