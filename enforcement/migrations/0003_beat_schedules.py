"""Beat schedules of the enforcement jobs (Asia/Shanghai), editable in the admin afterwards: this migration
creates them once and never overwrites what support staff changed."""

from django.db import migrations

TZ = "Asia/Shanghai"
JOBS = [
    # name, task, minute, hour
    ("Deadline reminders (daily 09:00)", "enforcement.tasks.send_deadline_reminders", "0", "9"),
    ("Returned reports not resubmitted for 3 days (daily 09:05)", "enforcement.tasks.remind_returned_reports",
     "5", "9"),
    ("Flag late and missing reports (daily 00:15)", "enforcement.tasks.flag_late_reports", "15", "0"),
    ("Scan quota usage (nightly 01:00)", "enforcement.tasks.scan_quota_usage", "0", "1"),
    ("Reconcile flows and balances (nightly 01:30)", "enforcement.tasks.reconcile_flows", "30", "1"),
    ("Apply waiting deductions (nightly 02:00)", "enforcement.tasks.apply_deductions", "0", "2"),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in JOBS:
        cron, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone=TZ)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": cron, "enabled": True})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task__in=[j[1] for j in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enforcement", "0002_seed_penalty_rules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
