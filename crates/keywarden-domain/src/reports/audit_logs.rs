//! The audit log as records of Entra's Log Analytics `AuditLogs` table, for a SIEM.
//!
//! Entra sends its `directoryAudit` records to Log Analytics with these column names: `TimeGenerated`,
//! `OperationName` (the activity display name), `Category`, `Result`, `ResultReason`, `CorrelationId`, `InitiatedBy`
//! (dynamic: `{user: {...}}` or `{app: {...}}`), `TargetResources` (dynamic array with `modifiedProperties`),
//! `AdditionalDetails`, `LoggedByService`, `AADOperationType`, `Id`, and `ActivityDisplayName`/`ActivityDateTime`.
//! keywarden's events already carry Entra's activity names, so a query written against Entra's table reads
//! keywarden's records the same way. `OperationName` is the activity name, never anything else: the playbook's
//! `OperationName == "Register security info"` matches no Entra activity (that is the Conditional Access user action),
//! so it finds nothing on Entra's logs or on these; see docs/audit-export.md for the one-line fix that works on both.

use serde::Serialize;
use serde_json::{Value, json};

use time::OffsetDateTime;
use time::macros::format_description;

use crate::audit::{Event, Initiator, KeyValue, TargetResource};

/// The columns written, in order (CSV header; JSON lines use the same names).
pub const COLUMNS: [&str; 15] = [
    "TimeGenerated",
    "Id",
    "OperationName",
    "OperationVersion",
    "Category",
    "Result",
    "ResultReason",
    "CorrelationId",
    "LoggedByService",
    "AADOperationType",
    "ActivityDisplayName",
    "ActivityDateTime",
    "InitiatedBy",
    "TargetResources",
    "AdditionalDetails",
];

/// One `AuditLogs` record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record<'e> {
    #[serde(rename = "TimeGenerated")]
    pub time_generated: String,
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "OperationName")]
    pub operation_name: &'static str,
    #[serde(rename = "OperationVersion")]
    pub operation_version: &'static str,
    #[serde(rename = "Category")]
    pub category: &'static str,
    /// `success` or `failure`.
    #[serde(rename = "Result")]
    pub result: &'static str,
    #[serde(rename = "ResultReason")]
    pub result_reason: &'e str,
    #[serde(rename = "CorrelationId")]
    pub correlation_id: String,
    #[serde(rename = "LoggedByService")]
    pub logged_by_service: &'static str,
    /// `Add`, `Update`, `Delete`, `Assign`.
    #[serde(rename = "AADOperationType")]
    pub aad_operation_type: &'static str,
    #[serde(rename = "ActivityDisplayName")]
    pub activity_display_name: &'static str,
    #[serde(rename = "ActivityDateTime")]
    pub activity_date_time: String,
    #[serde(rename = "InitiatedBy")]
    pub initiated_by: Value,
    #[serde(rename = "TargetResources")]
    pub target_resources: &'e [TargetResource],
    #[serde(rename = "AdditionalDetails")]
    pub additional_details: &'e [KeyValue],
}

impl<'e> Record<'e> {
    pub fn new(event: &'e Event) -> Record<'e> {
        let time = timestamp(event.activity_date_time);
        Record {
            time_generated: time.clone(),
            id: event.id.to_string(),
            operation_name: event.activity.name(),
            operation_version: "1.0",
            category: event.activity.category(),
            result: event.result.as_str(),
            result_reason: &event.result_reason,
            correlation_id: event.correlation_id.to_string(),
            logged_by_service: event.activity.logged_by_service(),
            aad_operation_type: event.activity.operation_type(),
            activity_display_name: event.activity.name(),
            activity_date_time: time,
            initiated_by: initiated_by(&event.initiated_by),
            target_resources: &event.target_resources,
            additional_details: &event.additional_details,
        }
    }

    /// The cells in [`COLUMNS`] order; dynamic columns are compact JSON, as Log Analytics exports them.
    pub fn cells(&self) -> [String; 15] {
        [
            self.time_generated.clone(),
            self.id.clone(),
            self.operation_name.to_string(),
            self.operation_version.to_string(),
            self.category.to_string(),
            self.result.to_string(),
            self.result_reason.to_string(),
            self.correlation_id.clone(),
            self.logged_by_service.to_string(),
            self.aad_operation_type.to_string(),
            self.activity_display_name.to_string(),
            self.activity_date_time.clone(),
            json_text(&self.initiated_by),
            json_text(&self.target_resources),
            json_text(&self.additional_details),
        ]
    }
}

/// UTC with a fixed six-digit fraction (`2026-11-25T18:51:27.500000Z`), so that the text sorts as the time does.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        ))
        .unwrap_or_default()
}

fn json_text<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `InitiatedBy` as Log Analytics holds it: only the kind of initiator that acted is present.
pub fn initiated_by(initiator: &Initiator) -> Value {
    match initiator {
        Initiator::User {
            id,
            user_principal_name,
            display_name,
            ip_address,
        } => json!({ "user": {
            "id": id,
            "displayName": display_name,
            "userPrincipalName": user_principal_name,
            "ipAddress": ip_address.clone().unwrap_or_default(),
            "roles": [],
        }}),
        Initiator::App {
            app_id,
            display_name,
            ip_address,
        } => json!({ "app": {
            "appId": app_id,
            "displayName": display_name,
            "servicePrincipalId": app_id,
            "servicePrincipalName": display_name,
            "ipAddress": ip_address.clone().unwrap_or_default(),
        }}),
        Initiator::LocalOperator { os_user } => json!({ "app": {
            "appId": "local-operator",
            "displayName": format!("keywarden CLI ({os_user})"),
            "servicePrincipalId": null,
            "servicePrincipalName": null,
        }}),
        Initiator::Anonymous { ip_address } => json!({ "user": {
            "id": null,
            "displayName": "anonymous",
            "userPrincipalName": null,
            "ipAddress": ip_address.clone().unwrap_or_default(),
            "roles": [],
        }}),
    }
}
