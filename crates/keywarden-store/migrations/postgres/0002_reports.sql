-- Indexes for reports and findings (keep in step with ../sqlite/0002_reports.sql).
-- Partial indexes hold only the rare rows a finding looks for, so they cost next to nothing on writes.
CREATE INDEX credentials_backup_changed ON credentials (backup_state_changed_at) WHERE backup_state_changed_at IS NOT NULL;
CREATE INDEX credentials_counter_regressed ON credentials (counter_regressions) WHERE counter_regressions > 0;
-- Bulk registrations: successful "Admin registered security info" events counted per initiator over a period.
CREATE INDEX audit_activity ON audit_events (activity, result, initiator_id, activity_at);
