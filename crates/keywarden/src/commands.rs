//! The subcommands that act on the database directly, as the local operator (audited as such).

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::audit::Activity;
use keywarden_domain::directory::Role;
use keywarden_domain::metadata::Catalog;
use keywarden_domain::policy::to_graph_document;
use keywarden_server::auth::Actor;
use keywarden_server::ops::{self, access_pass, audit, directory, policy, tokens};
use keywarden_server::wire::{AccessPassView, DirectoryAudit};
use keywarden_server::{AppState, Clock, Config, RequestContext};
use keywarden_store::Store;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{
    AaguidCommand, AttestationCommand, AuditCommand, FileFormat, GroupsCommand, Output, PolicyCommand, TapCommand,
    TokenCommand, UsersCommand,
};
use crate::{Failure, Outcome, table};

/// Connects to the configured database and builds the state the operations need.
pub(crate) async fn state(config: Config, catalog: Catalog) -> Result<AppState, Failure> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("connecting to {}", redact(&config.database_url)))
        .map_err(Failure::Internal)?;
    let clock = Clock::for_config(&config).map_err(|e| Failure::Usage(e.into()))?;
    AppState::new(config, store, catalog, clock).map_err(Failure::Usage)
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub(crate) fn operator() -> Actor {
    Actor::LocalOperator {
        os_user: keywarden_server::config::os_user(),
    }
}

fn context(state: &AppState) -> RequestContext {
    RequestContext::local(state.clock.now())
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))
        .map_err(Failure::Usage)
}

use keywarden_domain::instant::rfc3339 as time;

pub(crate) fn print_json<T: serde::Serialize>(value: &T) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

pub(crate) async fn serve(config: Config) -> Outcome {
    keywarden_server::telemetry::init_logging(config.log_format);
    config.require_secret().map_err(|e| Failure::Usage(e.into()))?;
    let listen = config.listen_addr().map_err(|e| Failure::Usage(e.into()))?;
    let catalog = keywarden_server::state::load_catalog(&config, OffsetDateTime::now_utc())
        .await
        .map_err(Failure::Usage)?;
    tracing::info!(
        entries = catalog.entries.len(),
        names = catalog.fallback_names.len(),
        "FIDO metadata loaded"
    );
    let state = state(config, catalog).await?;
    if let Some(path) = state.clock.test_clock_file() {
        tracing::warn!(
            file = %path.display(),
            "TEST CLOCK ON: this server adds the seconds written in test_clock_file to the time; passes, sessions and \
             verifications expire when that file says. For tests and development only, never in production"
        );
    }
    policy::ensure_policy(&state, &context(&state)).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))
        .map_err(Failure::Usage)?;
    tracing::info!(address = %listen, database = state.store.backend().as_str(), rp_id = %state.config.rp_id, "keywarden is serving");
    keywarden_server::serve(listener, state, keywarden_server::shutdown_signal())
        .await
        .context("serving")
        .map_err(Failure::Internal)
}

fn file_format(path: &Path, format: Option<FileFormat>) -> directory::Format {
    match format {
        Some(FileFormat::Csv) => directory::Format::Csv,
        Some(FileFormat::Json) => directory::Format::Json,
        None => directory::Format::of_path(path),
    }
}

pub(crate) async fn users(config: Config, command: UsersCommand) -> Outcome {
    let state = state(config, Catalog::default()).await?;
    let ctx = context(&state);
    let actor = operator();
    match command {
        UsersCommand::Import { file, format } => {
            let text = read(&file)?;
            let (created, updated) =
                directory::import_users(&state, &ctx, &actor, &text, file_format(&file, format)).await?;
            println!(
                "imported {} user(s): {created} created, {updated} updated",
                created + updated
            );
        }
        UsersCommand::List { search, format } => {
            let mut users = Vec::new();
            let mut cursor = None;
            loop {
                let page = state
                    .store
                    .list_users(search.as_deref(), cursor.as_deref(), 1000)
                    .await?;
                users.extend(page.users);
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            let header = [
                "UserPrincipalName",
                "DisplayName",
                "UserType",
                "AccountEnabled",
                "Roles",
                "Id",
            ];
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    let roles: Vec<&str> = u.roles.iter().map(|r| r.slug()).collect();
                    vec![
                        u.user_principal_name.clone(),
                        u.display_name.clone(),
                        u.user_type.as_str().into(),
                        u.account_enabled.to_string(),
                        roles.join(";"),
                        u.id.to_string(),
                    ]
                })
                .collect();
            output(format, &header, &rows, || json!(users));
        }
        UsersCommand::SetPassword { user } => {
            let user = ops::find_user(&state, &user).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")
                .map_err(Failure::Usage)?;
            directory::set_password(&state, &ctx, &actor, &user, password.trim_end_matches(['\r', '\n'])).await?;
            println!("password set for {}", user.user_principal_name);
        }
        UsersCommand::Totp { user } => {
            let user = ops::find_user(&state, &user).await?;
            let enrolled = ops::sign_in::enroll_totp(
                &state,
                &ctx,
                actor.initiator(None),
                &user,
                Activity::AdminRegisteredSecurityInfo,
            )
            .await?;
            println!("authenticator app set up for {} (shown once)", user.user_principal_name);
            println!("secret: {}", enrolled.secret_base32);
            println!("uri:    {}", enrolled.uri);
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                println!("\n{}", enrolled.qr_text());
            }
        }
    }
    Ok(())
}

pub(crate) fn output<J: serde::Serialize>(
    format: Output,
    header: &[&str],
    rows: &[Vec<String>],
    json: impl FnOnce() -> J,
) {
    match format {
        Output::Table => print!("{}", table::render(header, rows)),
        Output::Csv => print!("{}", table::csv(header, rows)),
        Output::Json => print_json(&json()),
    }
}

pub(crate) async fn groups(config: Config, command: GroupsCommand) -> Outcome {
    let state = state(config, Catalog::default()).await?;
    let ctx = context(&state);
    match command {
        GroupsCommand::Import { file, format } => {
            let text = read(&file)?;
            let (groups, members) =
                directory::import_groups(&state, &ctx, &operator(), &text, file_format(&file, format)).await?;
            println!("imported {groups} new group(s) and {members} new membership(s)");
        }
        GroupsCommand::RemoveMember { group, user } => {
            directory::remove_member(&state, &ctx, &operator(), &group, &user).await?;
            println!("removed {user} from {group}");
        }
        GroupsCommand::List { format } => {
            let groups = state.store.list_groups().await?;
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|(g, n)| {
                    vec![
                        g.display_name.clone(),
                        n.to_string(),
                        g.description.clone().unwrap_or_default(),
                        g.id.to_string(),
                    ]
                })
                .collect();
            output(format, &["DisplayName", "Members", "Description", "Id"], &rows, || {
                json!(
                    groups
                        .iter()
                        .map(|(g, n)| json!({"group": g, "members": n}))
                        .collect::<Vec<_>>()
                )
            });
        }
    }
    Ok(())
}

pub(crate) async fn policy(config: Config, command: PolicyCommand) -> Outcome {
    let state = state(config, Catalog::default()).await?;
    let ctx = context(&state);
    match command {
        PolicyCommand::Show => {
            let current = ops::current_policy(&state).await?;
            print_json(&to_graph_document(
                &current.policy,
                current.version,
                current.modified_at,
            ));
        }
        PolicyCommand::Apply { file } => {
            let text = read(&file)?;
            let (before, version) = policy::apply_document(&state, &ctx, &operator(), &text).await?;
            if version == before.version {
                println!(
                    "no change: the policy is already as in {} (version {version})",
                    file.display()
                );
            } else {
                println!("policy version {version} applied (was {})", before.version);
            }
        }
        PolicyCommand::Explain { user, format } => return crate::diagnose::explain(&state, &user, format).await,
        PolicyCommand::WhatIf { file, format } => return crate::rollout::what_if(&state, &file, format).await,
    }
    Ok(())
}

pub(crate) async fn tap(config: Config, command: TapCommand) -> Outcome {
    let state = state(config, Catalog::default()).await?;
    let ctx = context(&state);
    let actor = operator();
    match command {
        TapCommand::Issue {
            user,
            lifetime,
            once,
            start,
            format,
        } => {
            let user = ops::find_user(&state, &user).await?;
            let start = start
                .map(|s| {
                    OffsetDateTime::parse(&s, &Rfc3339)
                        .with_context(|| format!("--start {s:?} is not an RFC 3339 time"))
                })
                .transpose()
                .map_err(Failure::Usage)?;
            let request = IssueRequest {
                lifetime_in_minutes: lifetime,
                is_usable_once: once.then_some(true),
                start_date_time: start,
            };
            let issued = access_pass::issue(&state, &ctx, &actor, &user, &request).await?;
            if format == Output::Json {
                print_json(&AccessPassView::new(&issued.pass, issued.usable, Some(&issued.code)));
            } else {
                println!(
                    "Temporary Access Pass for {} (shown once): {}",
                    user.user_principal_name, issued.code
                );
                println!(
                    "{}, {} minutes from {} until {}; usable now: {} ({})",
                    if issued.pass.is_usable_once {
                        "one-time"
                    } else {
                        "multi-use"
                    },
                    issued.pass.lifetime_in_minutes,
                    time(issued.pass.start_date_time),
                    time(issued.pass.expires_at()),
                    issued.usable.0,
                    issued.usable.1.as_str()
                );
            }
        }
        TapCommand::Show { user } => {
            let user = ops::find_user(&state, &user).await?;
            match access_pass::get(&state, &actor, &user).await? {
                Some((pass, usable)) => print_json(&AccessPassView::new(&pass, usable, None)),
                None => println!("{} has no Temporary Access Pass", user.user_principal_name),
            }
        }
        TapCommand::Revoke { user } => {
            let user = ops::find_user(&state, &user).await?;
            let Some((pass, _)) = access_pass::get(&state, &actor, &user).await? else {
                return Err(Failure::Refused(keywarden_server::ApiError::not_found(format!(
                    "a pass for {}",
                    user.user_principal_name
                ))));
            };
            access_pass::revoke(&state, &ctx, &actor, &user, pass.id).await?;
            println!("revoked the Temporary Access Pass of {}", user.user_principal_name);
        }
    }
    Ok(())
}

pub(crate) async fn token(config: Config, command: TokenCommand) -> Outcome {
    let state = state(config, Catalog::default()).await?;
    let ctx = context(&state);
    let actor = operator();
    match command {
        TokenCommand::Create { name, role, days } => {
            let role: Role = role
                .parse()
                .map_err(|e: String| Failure::Usage(anyhow::anyhow!("--role: {e}")))?;
            let (token, secret) = tokens::create(&state, &ctx, &actor, &name, role, days).await?;
            println!(
                "token {} ({}) created; send it as `Authorization: Bearer <token>` (shown once):",
                token.id,
                role.display_name()
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            let rows: Vec<Vec<String>> = tokens::list(&state, &actor)
                .await?
                .iter()
                .map(|t| {
                    vec![
                        t.id.to_string(),
                        t.name.clone(),
                        t.role.slug().into(),
                        time(t.created_at),
                        t.expires_at.map(time).unwrap_or_default(),
                        t.revoked_at.map(time).unwrap_or_default(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(&["Id", "Name", "Role", "Created", "Expires", "Revoked"], &rows)
            );
        }
        TokenCommand::Revoke { id } => {
            let id = id
                .parse()
                .map_err(|_| Failure::Usage(anyhow::anyhow!("{id:?} is not a token id")))?;
            tokens::revoke(&state, &ctx, &actor, id).await?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

pub(crate) async fn audit(config: Config, command: AuditCommand) -> Outcome {
    let state = state(config, Catalog::default()).await?;
    let AuditCommand::List {
        since,
        until,
        activity,
        initiator,
        target,
        result,
        correlation_id,
        top,
        cursor,
        format,
    } = command
    else {
        return Err(Failure::Usage(anyhow::anyhow!(
            "audit export is run by reports::audit_export"
        )));
    };
    let query = audit::Query {
        since,
        until,
        activity,
        initiator,
        target,
        result,
        correlation_id,
        cursor,
        top: Some(top),
    };
    let page = audit::list(&state, &operator(), &query).await?;
    let rows: Vec<Vec<String>> = page
        .events
        .iter()
        .map(|e| {
            vec![
                time(e.activity_date_time),
                e.activity.name().into(),
                e.result.as_str().into(),
                e.result_reason.clone(),
                e.initiated_by.name(),
                e.target_resources
                    .first()
                    .map(|t| {
                        t.user_principal_name
                            .clone()
                            .or(t.display_name.clone())
                            .unwrap_or_else(|| t.id.clone())
                    })
                    .unwrap_or_default(),
                e.correlation_id.to_string(),
            ]
        })
        .collect();
    output(
        format,
        &[
            "Time",
            "Activity",
            "Result",
            "Reason",
            "Initiator",
            "Target",
            "CorrelationId",
        ],
        &rows,
        || json!({ "value": page.events.iter().map(DirectoryAudit::from).collect::<Vec<_>>(), "cursor": page.next }),
    );
    if let (Some(next), Output::Table) = (page.next, format) {
        println!("more: --cursor {next}");
    }
    Ok(())
}

pub(crate) async fn attestation(command: AttestationCommand) -> Outcome {
    let AttestationCommand::Verify {
        file,
        rp_id,
        origin,
        challenge,
        at,
        mds,
        require_user_verification,
    } = command;
    let text = read(&file)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", file.display()))
        .map_err(Failure::Usage)?;
    // Accept a bare RegistrationResponseJSON, or an object holding one under `response` or `credential`.
    let response = ["credential", "response"]
        .iter()
        .find_map(|k| value.get(k).filter(|v| v.get("response").is_some()))
        .cloned()
        .unwrap_or(value);
    let at = match at {
        Some(s) => OffsetDateTime::parse(&s, &Rfc3339)
            .with_context(|| format!("--at {s:?} is not an RFC 3339 time"))
            .map_err(Failure::Usage)?,
        None => OffsetDateTime::now_utc(),
    };
    let catalog = match mds {
        Some(path) => {
            let text = read(&path)?;
            let text = text.trim();
            if text.starts_with('{') {
                keywarden_webauthn::metadata::load_payload(text)
            } else {
                keywarden_webauthn::metadata::load_blob(text, &keywarden_webauthn::metadata::globalsign_roots(), at)
            }
            .with_context(|| format!("--mds {}", path.display()))
            .map_err(Failure::Usage)?
        }
        None => Catalog::default(),
    };
    let options = keywarden_webauthn::OfflineOptions {
        rp_id,
        origins: origin,
        challenge_b64url: challenge,
        at,
        catalog: &catalog,
        require_user_verification,
    };
    match keywarden_webauthn::verify_offline(&response, &options) {
        Ok(verified) => {
            let facts = &verified.facts;
            print_json(&json!({
                "verified": true,
                "format": facts.format.as_str(),
                "aaguid": facts.aaguid.to_string(),
                "model": facts.model,
                "attestation": { "type": facts.attestation_type, "trust": facts.trust, "level": facts.attestation_level().as_str(), "certificateThumbprints": facts.certificate_thumbprints, "sha1Signature": facts.sha1_signature },
                "flags": facts.flags,
                "passkeyType": facts.passkey_type().as_str(),
                "signCount": facts.sign_count,
                "algorithm": facts.algorithm,
                "transports": facts.transports,
                "hardwareBacked": facts.hardware_backed,
                "notes": facts.notes,
                "checkedAt": time(at),
            }));
            Ok(())
        }
        Err(rejection) => {
            print_json(
                &json!({ "verified": false, "code": rejection.code.as_str(), "message": rejection.detail, "fix": rejection.code.fix(), "checkedAt": time(at) }),
            );
            Err(Failure::No)
        }
    }
}

pub(crate) async fn aaguid(mut config: Config, command: AaguidCommand) -> Outcome {
    let AaguidCommand::Lookup {
        query,
        mds,
        names,
        format,
    } = command;
    if let Some(path) = mds {
        config.metadata.source = keywarden_server::config::MetadataSource::File;
        config.metadata.path = Some(path);
    }
    if let Some(path) = names {
        config.metadata.names = Some(path);
    }
    let catalog = keywarden_server::state::load_catalog(&config, OffsetDateTime::now_utc())
        .await
        .map_err(Failure::Usage)?;
    if catalog.entries.is_empty() && catalog.fallback_names.is_empty() {
        return Err(Failure::Usage(anyhow::anyhow!(
            "no FIDO metadata is configured: set [metadata] in the configuration, or pass --mds FILE / --names FILE"
        )));
    }
    let found = catalog.lookup(&query);
    if found.is_empty() {
        return Err(Failure::Refused(keywarden_server::ApiError::not_found(format!(
            "an authenticator matching {query:?} in the metadata ({} models) or name list ({} names)",
            catalog.entries.len(),
            catalog.fallback_names.len()
        ))));
    }
    match format {
        Output::Json => print_json(&json!(found)),
        Output::Table | Output::Csv => {
            let rows: Vec<Vec<String>> = found
                .iter()
                .map(|d| {
                    vec![
                        d.aaguid.to_string(),
                        d.name.clone().unwrap_or_default(),
                        d.certification_level.clone().unwrap_or_default(),
                        d.current_status.clone().unwrap_or_default(),
                        d.attestation_types.join(";"),
                        d.key_protection.join(";"),
                        d.groups.join(";"),
                    ]
                })
                .collect();
            let header = [
                "AAGUID",
                "Name",
                "Certification",
                "Status",
                "AttestationTypes",
                "KeyProtection",
                "Groups",
            ];
            output(format, &header, &rows, || json!(found));
            if format == Output::Table && found.len() == 1 {
                let d = &found[0];
                println!();
                println!("status history:");
                for report in &d.status_history {
                    let date = report.effective_date.map(|date| date.to_string()).unwrap_or_default();
                    println!("  {date:<10}  {}", report.status.as_str());
                }
                println!(
                    "transports: {}   protocols: {}   attestation roots: {}",
                    d.transports.join(", "),
                    d.protocol_versions.join(", "),
                    d.attestation_root_count
                );
            }
        }
    }
    Ok(())
}

/// `keywarden openapi`: the API's OpenAPI document, printed or written to `output`.
pub(crate) fn openapi(output: Option<&std::path::Path>) -> Outcome {
    let document = keywarden_server::routes::openapi_json();
    match output {
        Some(path) => {
            std::fs::write(path, document).map_err(|e| Failure::Usage(anyhow::anyhow!("{}: {e}", path.display())))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{document}"),
    }
    Ok(())
}
