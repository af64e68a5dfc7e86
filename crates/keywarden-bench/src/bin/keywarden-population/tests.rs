//! The generator at a small size: what it writes reads back through the store's own report scans, so the rows
//! it writes directly keep the store's shapes.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use keywarden_domain::audit::Initiator;
use keywarden_store::{AuditFilter, Store};

use crate::Sizes;
use crate::population::{MODELS, generate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_population_reads_back_through_the_report_scans() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("population.db").display());
    let sizes = Sizes {
        users: 1_000,
        audit_events: 5_000,
    };
    let generated = generate(&url, &sizes).await.expect("generated");
    assert_eq!(generated.users, 1_000);
    assert_eq!(generated.passkeys, 3_000, "thirty passkeys per ten users");
    assert_eq!(generated.access_passes, 50);

    let store = Store::connect(&url).await.expect("store opens the generated file");
    assert_eq!(store.count_passkeys().await.expect("count"), 3_000);
    let users: Vec<_> = store
        .stream(&store.inventory_scan())
        .try_collect()
        .await
        .expect("every packed inventory row decodes");
    assert_eq!(users.len(), 900, "one user in ten holds no passkey");
    let records: Vec<_> = users.into_iter().flatten().collect();
    assert_eq!(records.len(), 3_000);
    assert!(
        records
            .windows(2)
            .all(|w| w[0].user_principal_name <= w[1].user_principal_name),
        "ordered by userPrincipalName"
    );
    let aaguids: BTreeSet<String> = records.iter().map(|r| r.aaguid.to_string()).collect();
    assert!(aaguids.len() >= MODELS.len() - 1, "the models are spread: {aaguids:?}");
    assert!(
        records.iter().any(|r| r.attestation_certificate_thumbprint.is_some()),
        "security keys carry their attestation certificate's thumbprint"
    );

    let events: Vec<_> = store
        .stream(&store.audit_export_scan(&AuditFilter::default()))
        .try_collect()
        .await
        .expect("every generated event decodes");
    let (by_operator, generated_events): (Vec<_>, Vec<_>) = events
        .iter()
        .partition(|e| matches!(e.initiated_by, Initiator::LocalOperator { .. }));
    assert!(
        !by_operator.is_empty(),
        "the policy is applied through keywarden's own operation, audited as the local operator"
    );
    assert_eq!(generated_events.len() as u64, generated.audit_events);
    assert!(
        generated_events
            .windows(2)
            .all(|w| w[0].activity_date_time <= w[1].activity_date_time),
        "written in time order"
    );
    store.close().await;
}
