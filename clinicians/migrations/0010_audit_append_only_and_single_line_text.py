"""The audit table refuses UPDATE and DELETE in the database itself (PostgreSQL), and
single-line text fields (names, codes) refuse control characters.

The model already refuses `save()` on an existing line and `delete()`; this trigger
also stops raw SQL, `QuerySet.update()`/`.delete()` and anyone with a database shell
who is not the table's owner altering the trail.

Contract of the trigger `clinicians_auditevent_append_only` (BEFORE UPDATE OR DELETE,
FOR EACH ROW):

- UPDATE: always refused (SQLSTATE 42501, message "The audit log is append-only ...").
- DELETE: refused, unless BOTH
    1. the transaction has set the custom setting `alliance.audit_prune` to 'on' with
       `SET LOCAL alliance.audit_prune = 'on'` (transaction-local: it ends with the
       COMMIT or ROLLBACK, so nothing else in a pooled connection inherits it), and
    2. the row's timestamp `at` is older than six years (`at < now() - interval
       '6 years'`, `now()` being the transaction's start).
  That is the retention prune's way in, and its only one: a prune that matches a newer
  row aborts as a whole, so it cannot delete recent lines by mistake.
- INSERT is untouched.
- TRUNCATE is not covered (Django's test database flush uses it; it needs the table
  owner's privilege): run the app as a role that does not own the tables, or accept
  that the owner can truncate.

SQLite (the zero-setup default) gets no trigger: the model's refusals still hold there.
"""

from django.db import migrations, models

import clinicians.text

CREATE = r"""
CREATE OR REPLACE FUNCTION clinicians_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('alliance.audit_prune', true), '') = 'on'
       AND OLD.at < now() - interval '6 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: % of line % refused', TG_OP, OLD.id
        USING ERRCODE = '42501',
              HINT = 'Only the retention prune deletes, with SET LOCAL alliance.audit_prune '
                     '= ''on'', and only lines older than six years.';
END;
$$;
DROP TRIGGER IF EXISTS clinicians_auditevent_append_only ON clinicians_auditevent;
CREATE TRIGGER clinicians_auditevent_append_only
    BEFORE UPDATE OR DELETE ON clinicians_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinicians_auditevent_append_only();
"""

DROP = r"""
DROP TRIGGER IF EXISTS clinicians_auditevent_append_only ON clinicians_auditevent;
DROP FUNCTION IF EXISTS clinicians_auditevent_append_only();
"""


def _on_postgresql(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            # A bare cursor: the SQL holds RAISE's own % placeholders, which the schema
            # editor's parameter logging would try to fill.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("clinicians", "0009_clinic_low_rule"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
        # Single-line text (names, codes): control characters refused (clinicians.text).
        migrations.AlterField(
            model_name="clinic",
            name="name",
            field=models.CharField(
                max_length=200, validators=[clinicians.text.single_line], verbose_name="name"
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="code",
            field=models.CharField(
                help_text="The clinic's own identifier for this client, unique within the clinic.",
                max_length=40,
                validators=[clinicians.text.single_line],
                verbose_name="client code",
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="display_name",
            field=models.CharField(
                blank=True,
                max_length=120,
                validators=[clinicians.text.single_line],
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="preferred_language",
            field=models.CharField(
                default="en",
                max_length=10,
                validators=[clinicians.text.single_line],
                verbose_name="preferred language",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="display_name",
            field=models.CharField(
                blank=True,
                help_text="Shown to clients on their questionnaire, e.g. 'Dr. Rivera'.",
                max_length=120,
                validators=[clinicians.text.single_line],
                verbose_name="display name",
            ),
        ),
    ]
