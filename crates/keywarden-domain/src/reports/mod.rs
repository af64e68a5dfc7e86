//! Reports for the help desk and for governance: the passkey inventory (per credential and per model), the users
//! without a phishing-resistant method, findings (the playbook's patterns to watch), and the audit log shaped as
//! Entra's Log Analytics `AuditLogs` table.
//!
//! Everything here is computed from values the store streams (records, counts, events) and `now`; nothing here
//! reads a database or a clock. Large inputs are taken one item at a time, so callers can stream them with flat
//! memory.

pub mod audit_logs;
pub mod findings;
pub mod inventory;
pub mod methods;

#[cfg(test)]
mod tests;

pub use crate::directory::UserRef;
pub use crate::instant::rfc3339;
