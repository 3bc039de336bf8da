from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Seal the audit chain, then pg_dump the database (custom format) with a manifest of row counts, "
            "audit chain heads and attachment digests.")

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, default=Path("backups"), help="Directory for the dump (./backups).")
        parser.add_argument("--no-seal", action="store_true", help="Do not seal the audit chain before dumping.")

    def handle(self, *args, **options):
        try:
            dump, manifest = backup_create(out_dir=options["out"], seal=not options["no_seal"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written: {dump}\nManifest: {manifest}"))
