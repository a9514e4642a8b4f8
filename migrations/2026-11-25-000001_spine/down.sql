DROP TABLE job_outbox;
DROP TABLE audit_log;
DROP FUNCTION audit_log_refuse_change();
DROP TABLE service_accounts;
DROP TABLE staff_sessions;
DROP TABLE staff_accounts;
DROP TABLE teams;
