"""PostgreSQL backstop for "submitted versions are immutable": whatever path writes (ORM, admin, raw SQL),
the lines of a non-draft report and the content of a submitted report cannot change."""

from django.db import migrations

LINE_TABLES = ["reporting_productionline", "reporting_inputline", "reporting_flowline", "reporting_inventoryline",
               "reporting_attachment"]

FUNCTIONS = """
CREATE OR REPLACE FUNCTION reporting_lines_frozen() RETURNS trigger AS $$
DECLARE rid bigint; st varchar;
BEGIN
  IF TG_OP = 'DELETE' THEN rid := OLD.report_id; ELSE rid := NEW.report_id; END IF;
  SELECT status INTO st FROM reporting_monthlyreport WHERE id = rid;
  IF st IS NOT NULL AND st <> 'draft' THEN
    RAISE EXCEPTION 'report % is %, its lines are immutable', rid, st USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.report_id <> NEW.report_id THEN
    SELECT status INTO st FROM reporting_monthlyreport WHERE id = OLD.report_id;
    IF st <> 'draft' THEN
      RAISE EXCEPTION 'report % is %, its lines are immutable', OLD.report_id, st USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION reporting_report_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'report % is %, it cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND (
       NEW.enterprise_id <> OLD.enterprise_id OR NEW.year <> OLD.year OR NEW.month <> OLD.month
       OR NEW.version <> OLD.version OR NEW.nil <> OLD.nil OR NEW.comment <> OLD.comment
       OR NEW.warnings <> OLD.warnings OR NEW.warnings_explanation <> OLD.warnings_explanation
       OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at OR NEW.late <> OLD.late OR NEW.due_at <> OLD.due_at
       OR NEW.status = 'draft') THEN
    RAISE EXCEPTION 'report % is %, its content is immutable', OLD.id, OLD.status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute(FUNCTIONS)
        for table in LINE_TABLES:
            cur.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
            cur.execute(f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                        f"FOR EACH ROW EXECUTE FUNCTION reporting_lines_frozen()")
        cur.execute("DROP TRIGGER IF EXISTS reporting_monthlyreport_frozen ON reporting_monthlyreport")
        cur.execute("CREATE TRIGGER reporting_monthlyreport_frozen BEFORE UPDATE OR DELETE ON reporting_monthlyreport "
                    "FOR EACH ROW EXECUTE FUNCTION reporting_report_frozen()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for table in LINE_TABLES:
            cur.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        cur.execute("DROP TRIGGER IF EXISTS reporting_monthlyreport_frozen ON reporting_monthlyreport")
        cur.execute("DROP FUNCTION IF EXISTS reporting_lines_frozen(); DROP FUNCTION IF EXISTS reporting_report_frozen();")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_seed_products_rules")]
    operations = [migrations.RunPython(forwards, backwards)]
