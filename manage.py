#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_portal.settings")
    from django.core.management import execute_from_command_line  # noqa: PLC0415 - after DJANGO_SETTINGS_MODULE is set

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
