//! `keywarden demo`: a SQLite database with demo users, groups and a policy with several passkey profiles, a
//! printed Temporary Access Pass for a user who has no other method, what each administrator needs to sign in with
//! a strong method (a one-time pass, an authenticator app secret), a secret key beside the database, and the service
//! running on it.

use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::directory::Role;
use keywarden_domain::metadata::Catalog;
use keywarden_server::ops::{self, access_pass, directory, policy, tokens};
use keywarden_server::{Config, RequestContext};
use time::OffsetDateTime;

use crate::cli::DemoArgs;
use crate::commands::{operator, state};
use crate::{Failure, Outcome};

const USERS: &str = include_str!("../demo/users.csv");
const GROUPS: &str = include_str!("../demo/groups.csv");
const POLICY: &str = include_str!("../demo/policy.json");
pub(crate) const DEMO_PASSWORD: &str = "keywarden-demo";
const TAP_USER: &str = "bob@contoso.com";

/// The administrators the demo prints sign-in material for: a one-time pass for the first two (the help desk and the
/// policy administrator, the console's everyday users) and an authenticator app secret for each.
const ADMINS: [(&str, &str); 4] = [
    ("helpdesk@contoso.com", "Authentication Administrator, Global Reader"),
    ("policy@contoso.com", "Authentication Policy Administrator"),
    (
        "admin@contoso.com",
        "Privileged Authentication Administrator, User Administrator",
    ),
    ("global@contoso.com", "Global Administrator"),
];

/// The secret key beside the demo database (`keywarden-demo.key`), made on the first run (readable by its owner
/// only): the server derives the seal of passkey sign-ins from it, and the database never holds it.
fn secret_key_file(database: &std::path::Path) -> Result<std::path::PathBuf, Failure> {
    let path = database.with_extension("key");
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        use std::io::Write;
        options
            .open(&path)
            .and_then(|mut file| writeln!(file, "{}", keywarden_server::secrets::new_secret()))
            .map_err(|e| Failure::Usage(anyhow::anyhow!("writing the demo's secret key {}: {e}", path.display())))?;
    }
    Ok(path)
}

pub(crate) async fn run(mut config: Config, args: DemoArgs) -> Outcome {
    config.database_url = format!("sqlite://{}", args.database.display());
    if config.secret_key.is_none() && config.secret_key_file.is_none() {
        config.secret_key_file = Some(secret_key_file(&args.database)?);
    }
    keywarden_server::telemetry::init_logging(config.log_format);
    let catalog = keywarden_server::state::load_catalog(&config, OffsetDateTime::now_utc())
        .await
        .map_err(Failure::Usage)?;
    let listen = config.listen_addr().map_err(|e| Failure::Usage(e.into()))?;
    let origin = config.origins.first().cloned().unwrap_or_default();
    let state = state(config, Catalog::default()).await?;
    state.set_catalog(catalog);
    let ctx = RequestContext::local(state.clock.now());
    let actor = operator();
    policy::ensure_policy(&state, &ctx).await?;
    directory::import_users(&state, &ctx, &actor, USERS, directory::Format::Csv).await?;
    directory::import_groups(&state, &ctx, &actor, GROUPS, directory::Format::Csv).await?;
    let (_, version) = policy::apply_document(&state, &ctx, &actor, POLICY).await?;
    let bob = ops::find_user(&state, TAP_USER).await?;
    let request = IssueRequest {
        lifetime_in_minutes: Some(60),
        is_usable_once: Some(true),
        start_date_time: None,
    };
    let issued = access_pass::issue(&state, &ctx, &actor, &bob, &request).await?;
    let mut admins = Vec::new();
    for (i, (upn, roles)) in ADMINS.iter().enumerate() {
        let admin = ops::find_user(&state, upn).await?;
        let pass = if i < 2 {
            Some(access_pass::issue(&state, &ctx, &actor, &admin, &request).await?.code)
        } else {
            None
        };
        // The app secret is set up once and shown again on later runs, so an authenticator app keeps working.
        let secret = match state.store.totp_of(admin.id).await? {
            Some(totp) => ops::sign_in::totp_secret_base32(&totp.secret),
            None => {
                ops::sign_in::enroll_totp(
                    &state,
                    &ctx,
                    actor.initiator(None),
                    &admin,
                    keywarden_domain::audit::Activity::AdminRegisteredSecurityInfo,
                )
                .await?
                .secret_base32
            }
        };
        admins.push((*upn, *roles, pass, secret));
    }
    let (_, token) = tokens::create(
        &state,
        &ctx,
        &actor,
        "demo help desk automation",
        Role::AuthenticationAdministrator,
        Some(1),
    )
    .await?;

    println!("keywarden demo");
    println!(
        "  database  {} (policy version {version}: passkeys enabled, 4 passkey profiles)",
        args.database.display()
    );
    println!("  service   {origin}   API {origin}/v1   OpenAPI {origin}/v1/openapi.json");
    println!();
    println!("  users (password \"{DEMO_PASSWORD}\"):");
    println!("    alice@contoso.com   Pilot ring 1: any passkey");
    println!("    bob@contoso.com     Pilot ring 1, no MFA method yet: use the pass below");
    println!("    carol@contoso.com   IT admins: attested device-bound keys or YubiKey 5 only");
    println!("    grace@contoso.com   Ring 2: any passkey but Microsoft Authenticator");
    println!("    erin@contoso.com    Contractors: excluded from passkeys");
    println!("    dave@fabrikam.com   guest: not eligible");
    println!("    auditor@contoso.com (Global Reader)");
    println!();
    println!(
        "  administrators: a password alone never administers. Sign in with the one-time pass (60 minutes), or with"
    );
    println!(
        "  the password then a code from an authenticator app set up with the secret (oathtool --totp -b SECRET):"
    );
    for (upn, roles, pass, secret) in &admins {
        println!("    {upn:<22} {roles}");
        match pass {
            Some(pass) => println!("      one-time pass {pass}   app secret {secret}"),
            None => println!("      app secret {secret}"),
        }
    }
    println!();
    println!(
        "  Temporary Access Pass for {TAP_USER} (one-time, 60 minutes): {}",
        issued.code
    );
    println!("  API token (Authentication Administrator, 1 day): {token}");
    println!();
    println!("  Try:");
    println!("    {origin}/security-info   sign in as {TAP_USER} with the pass above and add a passkey");
    println!(
        "    {origin}/admin           sign in as helpdesk@contoso.com with its one-time pass: users, attempts, passes"
    );
    println!("  or through the API:");
    println!(
        "    curl -c jar -H 'content-type: application/json' -d '{{\"username\":\"{TAP_USER}\",\"code\":\"{}\"}}' {origin}/v1/signin/tap",
        issued.code
    );
    println!(
        "    curl -b jar -X POST -H \"x-csrf-token: <csrfToken from the answer>\" {origin}/v1/me/authentication/fido2Methods/registration/begin"
    );
    println!("    curl -H 'authorization: Bearer {token}' {origin}/v1/users/{TAP_USER}/registrationAttempts");
    if args.no_serve {
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Failure::Usage(anyhow::anyhow!(
            "binding {listen}: {e} (is another keywarden running? set KEYWARDEN_LISTEN)"
        ))
    })?;
    println!();
    println!("  serving on {listen}; Ctrl-C stops");
    keywarden_server::serve(listener, state, keywarden_server::shutdown_signal())
        .await
        .map_err(|e| Failure::Internal(e.into()))
}
