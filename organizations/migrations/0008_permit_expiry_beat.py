from django.db import migrations

TASK = "organizations.tasks.permit_expiry_reminders"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    cron, _ = CrontabSchedule.objects.get_or_create(minute="30", hour="7", day_of_week="*", day_of_month="*",
                                                    month_of_year="*", timezone="Asia/Shanghai")
    PeriodicTask.objects.get_or_create(name="Permit expiry reminders (daily 07:30)",
                                       defaults={"task": TASK, "crontab": cron, "enabled": True})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0007_licences_to_register"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
