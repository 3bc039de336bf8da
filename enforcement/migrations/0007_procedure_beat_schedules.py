"""Beat schedules of the issue-14 jobs (Asia/Shanghai), created once, editable in the admin."""

from django.db import migrations

TZ = "Asia/Shanghai"
JOBS = [
    ("Overdue fines, overdue reviews, annual reports due (daily 09:10)",
     "enforcement.tasks.send_procedure_reminders", "10", "9"),
    ("Reverse deductions of annulled penalties (nightly 02:10)", "enforcement.tasks.reverse_deductions", "10", "2"),
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
    dependencies = [("enforcement", "0006_correct_deduction_years")]
    operations = [migrations.RunPython(schedule, unschedule)]
