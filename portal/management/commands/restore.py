from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a dump made by `manage.py backup` into a NEW database, then check row counts, attachments "
            "and audit chain heads against the manifest and run verify_audit there.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .dump file (its .manifest.json must be next to it).")
        parser.add_argument("--database-name", default=None, help="Name of the new database (default: <db>_restore_<time>).")
        parser.add_argument("--manifest", type=Path, default=None)
        parser.add_argument("--seal-file", type=Path, default=None,
                            help="Seal file to verify the audit chain against (default: AUDIT_SEAL_DIR's).")

    def handle(self, *args, **options):
        try:
            result = backup_restore(dump=options["file"], database=options["database_name"],
                                    manifest=options["manifest"], seal_file=options["seal_file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            raise CommandError(f"Restore into {result.database} FAILED its checks:\n- " + "\n- ".join(result.problems))
        self.stdout.write(self.style.SUCCESS(
            f"Restored into database {result.database}: row counts, attachments and audit chain heads match the "
            f"manifest.\n{result.verify_output}\nPoint DATABASE_URL at it to use it."))
