"""Mark the questionnaires that have a link as sent by link, and count them per clinic,
therapist and day of the clinic's calendar (the rows `assessments.alliance.counts` keeps
from now on).

In SQL on PostgreSQL (one UPDATE with a semi-join, one grouped INSERT per clinic: a
few seconds for 150,000 questionnaires); row by row elsewhere (SQLite: development and
tests). Self-contained on purpose: a migration must do the same thing later, whatever
the app's code becomes.
"""

from collections import Counter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import DatabaseError, migrations, transaction
from django.utils import timezone

MARK = """
    UPDATE assessments_administration AS a SET sent_by_link = TRUE
    WHERE EXISTS (SELECT 1 FROM assessments_accesslink l WHERE l.administration_id = a.id)
"""
COUNT = """
    INSERT INTO assessments_sentcount (clinic_id, therapist_id, day, sent, completed)
    SELECT clinic_id, therapist_id, (created_at AT TIME ZONE %s)::date,
           count(*), count(*) FILTER (WHERE status = 'completed')
    FROM assessments_administration
    WHERE clinic_id = %s AND rater = 'client' AND sent_by_link
    GROUP BY 1, 2, 3
"""


def zone_of(clinic):
    # As Clinic.zone: a name the time zone database dropped falls back to the server's.
    try:
        return ZoneInfo(clinic.time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(settings.TIME_ZONE)


def count_in_python(apps, clinic, zone):
    Administration = apps.get_model("assessments", "Administration")
    SentCount = apps.get_model("assessments", "SentCount")
    sent, done = Counter(), Counter()
    rows = Administration.objects.filter(
        clinic_id=clinic.pk, rater="client", sent_by_link=True
    ).values_list("therapist_id", "created_at", "status")
    for therapist_id, created_at, status in rows.iterator(chunk_size=5000):
        key = (therapist_id, timezone.localtime(created_at, zone).date())
        sent[key] += 1
        done[key] += status == "completed"
    SentCount.objects.bulk_create(
        (
            SentCount(clinic_id=clinic.pk, therapist_id=t, day=d, sent=n, completed=done[(t, d)])
            for (t, d), n in sent.items()
        ),
        batch_size=5000,
    )


def backfill(apps, schema_editor):
    Administration = apps.get_model("assessments", "Administration")
    AccessLink = apps.get_model("assessments", "AccessLink")
    Clinic = apps.get_model("clinicians", "Clinic")
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(MARK)
    else:
        Administration.objects.filter(pk__in=AccessLink.objects.values("administration_id")).update(
            sent_by_link=True
        )
    for clinic in Clinic.objects.order_by("pk"):
        zone = zone_of(clinic)
        if postgres:
            try:
                with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                    cursor.execute(COUNT, [zone.key, clinic.pk])
                continue
            except DatabaseError:  # a zone name PostgreSQL does not know
                pass
        count_in_python(apps, clinic, zone)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0009_sent_counts"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
