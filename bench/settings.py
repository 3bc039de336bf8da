"""Bench-only settings: the production settings plus a bench urlconf with the framework baseline view.

Used only by bench/http.py (gunicorn ``--env DJANGO_SETTINGS_MODULE=bench.settings``); never deployed.
"""

from quota_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
