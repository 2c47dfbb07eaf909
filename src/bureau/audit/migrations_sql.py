"""PostgreSQL trigger that makes the audit table append-only."""

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION bureau_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- Retention purge: rows past seven years, in a transaction that asked for it.
    IF TG_OP = 'DELETE'
       AND current_setting('bureau.audit_purge', true) = 'on'
       AND OLD.occurred_at < now() - interval '7 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION bureau_audit_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS bureau_audit_append_only();
"""
