from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from organizations.audit import audit_check, seal_file_path


class Command(BaseCommand):
    help = ("Walk every audit hash chain and check it against the HMAC seals (database and seal file): reports "
            "an entry changed in place, a rebuilt chain or a truncated end.")

    def add_arguments(self, parser):
        parser.add_argument("--seal-file", type=Path, default=None,
                            help="The seal file to check against (default: AUDIT_SEAL_DIR/audit-seals.jsonl).")

    def handle(self, *args, **options):
        path = options["seal_file"] or seal_file_path()
        check = audit_check(seal_file=path)
        if not check.ok:
            raise CommandError("Audit verification failed:\n- " + "\n- ".join(check.problems))
        self.stdout.write(self.style.SUCCESS(
            f"Audit chain intact: {check.entries} entries in {check.chains} chains verified against "
            f"{check.seals} seals ({path}); {check.unsealed} entries written since the last seal."))
