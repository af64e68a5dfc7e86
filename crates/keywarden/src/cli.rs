//! The command line's shape: every subcommand and option, with their help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the thing checked is not so (attestation verify: the response does not verify)
  2  usage or configuration error
  3  refused by keywarden's rules (the message gives the stable code)
  4  internal or database error";

#[derive(Parser, Debug)]
#[command(name = "keywarden", version, about = "Passkey registration governance", after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Configuration file (TOML). KEYWARDEN_* environment variables override it.
    #[arg(long, global = true, env = "KEYWARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run the HTTP service.
    Serve,
    /// Run keywarden on SQLite with demo users, groups, a policy with several passkey profiles, and a printed
    /// Temporary Access Pass.
    Demo(DemoArgs),
    /// Users: import, list, set a password, set up an authenticator app.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Groups: import, list, remove a member.
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// The authentication methods policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Temporary Access Passes.
    #[command(subcommand)]
    Tap(TapCommand),
    /// API tokens for automation.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The passkey inventory: one row per passkey (the playbook's columns, then keywarden's), per model with
    /// --by model, or the users without a phishing-resistant method.
    Inventory(InventoryArgs),
    /// Findings: users without a phishing-resistant method, AAGUIDs no profile accepts today, bulk admin
    /// registrations, models the FIDO metadata now reports, backup-state flips, counter regressions, passes.
    Findings(FindingsArgs),
    /// Offline checks of WebAuthn responses.
    #[command(subcommand)]
    Attestation(AttestationCommand),
    /// Authenticator models in the FIDO metadata.
    #[command(subcommand)]
    Aaguid(AaguidCommand),
    /// The rollout: rings (groups) with their coverage and attempts, tightening a profile to the models observed,
    /// readiness before requiring an authentication strength.
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Walk the four-question decision tree for a user (can they register now, and with what?) or for one of
    /// their registration attempts (why did it fail?), or print the tree itself.
    #[command(after_help = DIAGNOSE_HELP)]
    Diagnose(DiagnoseArgs),
    /// Print the API's OpenAPI document (what `/v1/openapi.json` serves), or write it to a file: the repository
    /// keeps it in crates/keywarden-server/openapi.json, and a test fails when that copy is stale.
    Openapi {
        /// Write the document here instead of printing it.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AaguidCommand {
    /// Name, certification level, status history, attestation types, key protection and named groups of a model,
    /// by AAGUID or by (part of) its name, from the configured metadata (or --mds / --names).
    Lookup {
        query: String,
        /// A signed MDS3 BLOB (.jwt, verified now against the GlobalSign roots) or a payload (.json).
        #[arg(long)]
        mds: Option<PathBuf>,
        /// A community AAGUID name list (aaguid.json or combined names).
        #[arg(long)]
        names: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
}

pub(crate) const DIAGNOSE_HELP: &str = "\
Examples:
  keywarden diagnose bob@contoso.com              can Bob register a passkey now, and with what?
  keywarden diagnose bob@contoso.com --last       why did Bob's last attempt fail, and what would today's policy say?
  keywarden diagnose bob@contoso.com --attempt ID one attempt (ids are in GET /v1/users/{user}/registrationAttempts)
  keywarden diagnose --tree                       the decision tree, for the help desk's wall

Exit codes: 0 no question failed, 1 a question failed (the output names it, with the evidence and the fix),
2 usage or configuration, 3 refused (unknown user or attempt), 4 internal error.";

#[derive(Args, Debug)]
pub(crate) struct DiagnoseArgs {
    /// The user's userPrincipalName or id.
    #[arg(required_unless_present = "tree", conflicts_with = "tree")]
    pub(crate) user: Option<String>,
    /// Diagnose this registration attempt instead of "now".
    #[arg(long, value_name = "ID", conflicts_with_all = ["last", "tree"])]
    pub(crate) attempt: Option<String>,
    /// Diagnose the user's most recent registration attempt.
    #[arg(long, conflicts_with = "tree")]
    pub(crate) last: bool,
    /// Print the four-question decision tree with keywarden's codes and the known platform failure modes.
    #[arg(long)]
    pub(crate) tree: bool,
    /// table: text for people; json: the whole diagnosis; csv: one row per question.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Output,
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// The demo database (SQLite file); reused if it exists.
    #[arg(long, default_value = "keywarden-demo.db")]
    pub(crate) database: PathBuf,
    /// Set up the demo and exit instead of serving.
    #[arg(long)]
    pub(crate) no_serve: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Output {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum FileFormat {
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
pub(crate) enum UsersCommand {
    /// Import users from CSV (header: userPrincipalName,displayName,userType,accountEnabled,roles,password) or a
    /// JSON array. Existing users (same UPN) are updated. Every bad row is reported and nothing is imported.
    Import {
        file: PathBuf,
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
    /// List users.
    List {
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
    /// Set a user's password, read from standard input.
    SetPassword { user: String },
    /// Set up an authenticator app (TOTP) for a user and print its secret once.
    Totp { user: String },
}

#[derive(Subcommand, Debug)]
pub(crate) enum GroupsCommand {
    /// Import groups from CSV (header: displayName,description,members with members separated by ;) or JSON.
    Import {
        file: PathBuf,
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
    /// List groups with their member counts.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
    /// Take a user out of a group (audited as "Remove member from group").
    RemoveMember {
        /// Group id or display name.
        group: String,
        /// User id or userPrincipalName.
        user: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCommand {
    /// Print the policy as Graph JSON (editable and re-applicable).
    Show,
    /// Apply a policy document (whole, or one configuration). Properties left out keep their values.
    Apply { file: PathBuf },
    /// What a policy document (as `policy apply` takes it) would do to today's users and passkeys before it is
    /// saved: passkeys that would stop working at sign-in, users who would lose or gain the ability to register.
    /// Nothing is saved.
    WhatIf {
        file: PathBuf,
        /// table: a summary and the lists for people; json: the whole comparison; csv: one row per passkey or user
        /// whose outcome would change.
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
    /// Explain the effective policy for a user in plain words: targets matched, profiles that apply, what each
    /// accepts.
    Explain {
        user: String,
        /// table: sentences for people; json: the whole explanation; csv: one row per applicable profile.
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum TapCommand {
    /// Issue a Temporary Access Pass (replacing the user's previous one) and print its code once.
    Issue {
        user: String,
        /// Lifetime in minutes (the policy's default when omitted).
        #[arg(long)]
        lifetime: Option<u32>,
        /// One-time pass.
        #[arg(long)]
        once: bool,
        /// Start time (RFC 3339); now when omitted.
        #[arg(long)]
        start: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
    /// Show a user's pass (without its code) and whether it is usable.
    Show { user: String },
    /// Revoke a user's pass.
    Revoke { user: String },
}

#[derive(Subcommand, Debug)]
pub(crate) enum TokenCommand {
    /// Create an API token with one role; the secret is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// privileged-authentication-administrator, authentication-administrator,
        /// authentication-policy-administrator, global-reader, user-administrator
        #[arg(long)]
        role: String,
        /// Expire after this many days.
        #[arg(long)]
        days: Option<u32>,
    },
    List,
    Revoke {
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AuditCommand {
    /// List audit events, newest first.
    List {
        /// RFC 3339 or a duration back from now (90d, 12h, 30m).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        /// Activity display name, e.g. "User registered security info".
        #[arg(long)]
        activity: Option<String>,
        /// User id or UPN, token id, local-operator.
        #[arg(long)]
        initiator: Option<String>,
        /// Target id or UPN: the event's first target (the user, for their security info, sign-ins and memberships).
        #[arg(long)]
        target: Option<String>,
        /// success or failure.
        #[arg(long)]
        result: Option<String>,
        #[arg(long)]
        correlation_id: Option<String>,
        #[arg(long, default_value_t = 50)]
        top: u32,
        /// Continue from a previous page's cursor.
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Output,
    },
    /// Export audit events, oldest first, for a SIEM: records with the field names of Entra's AuditLogs table.
    Export(AuditExportArgs),
}

/// The audit list's filters, shared by `audit export`.
#[derive(Args, Debug)]
pub(crate) struct AuditFilters {
    /// RFC 3339 or a duration back from now (90d, 12h, 30m).
    #[arg(long)]
    pub(crate) since: Option<String>,
    #[arg(long)]
    pub(crate) until: Option<String>,
    /// Activity display name, e.g. "Admin registered security info".
    #[arg(long)]
    pub(crate) activity: Option<String>,
    /// User id or UPN, token id, local-operator.
    #[arg(long)]
    pub(crate) initiator: Option<String>,
    /// Target id or UPN: the event's first target (the user, for their security info, sign-ins and memberships).
    #[arg(long)]
    pub(crate) target: Option<String>,
    /// success or failure.
    #[arg(long)]
    pub(crate) result: Option<String>,
    #[arg(long)]
    pub(crate) correlation_id: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct AuditExportArgs {
    #[command(flatten)]
    pub(crate) filters: AuditFilters,
    /// JSON lines or CSV records with the column names of Entra's Log Analytics AuditLogs table.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub(crate) format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum GroupBy {
    Model,
}

#[derive(Args, Debug)]
pub(crate) struct InventoryArgs {
    /// One row per authenticator model: passkeys, users, attested or not, device-bound or synced, and the
    /// profiles that accept it today.
    #[arg(long, value_enum)]
    pub(crate) by: Option<GroupBy>,
    /// The users who hold no passkey, with the methods they do hold.
    #[arg(long, conflicts_with = "by")]
    pub(crate) without_phishing_resistant: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Output,
    /// Write to this file ("-" for standard output). CSV goes to a file by default: passkey-inventory.csv, as
    /// the playbook's script writes it (passkey-models.csv, users-without-phishing-resistant-method.csv).
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct FindingsArgs {
    /// This many "Admin registered security info" by one initiator... (default 10)
    #[arg(long)]
    pub(crate) bulk_threshold: Option<u32>,
    /// ...within this long make a bulk registration (default 10m).
    #[arg(long)]
    pub(crate) bulk_window: Option<String>,
    /// How far back the audit log is read for bulk registrations (default 90d).
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// Report multi-use passes valid for longer than this (default 4h).
    #[arg(long)]
    pub(crate) long_pass_lifetime: Option<String>,
    /// Users and credentials listed per finding (default 100; counts are always complete).
    #[arg(long)]
    pub(crate) top: Option<usize>,
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Output,
}

#[derive(Subcommand, Debug)]
pub(crate) enum AttestationCommand {
    /// Verify a RegistrationResponseJSON on its own and print what it proves (JSON).
    Verify {
        file: PathBuf,
        #[arg(long)]
        rp_id: String,
        /// An allowed origin; repeat for several.
        #[arg(long, required = true)]
        origin: Vec<String>,
        /// The challenge, base64url, exactly as in clientDataJSON.
        #[arg(long)]
        challenge: String,
        /// Check certificate validity at this instant (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
        /// FIDO metadata: a signed BLOB (.jwt, verified against the GlobalSign roots at --at) or a payload (.json).
        #[arg(long)]
        mds: Option<PathBuf>,
        /// Require the user-verified flag.
        #[arg(long)]
        require_user_verification: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum RolloutCommand {
    /// Per ring (each group, then all users): members, targeted by the passkey method, covered (holding a passkey
    /// today's policy accepts at sign-in), registration attempts and their failure codes.
    Status(StatusArgs),
    /// Propose allow-listing exactly the AAGUIDs observed among a profile's users, show who would lose a
    /// credential, and save it as a new policy version only with --apply.
    Tighten(TightenArgs),
    /// Who would be locked out if an authentication strength were required at sign-in now, and why each one.
    Readiness(ReadinessArgs),
}

#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    /// Count only the registration attempts begun this recently, such as 30d (default: all).
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// Also write the chart as SVG to this file.
    #[arg(long)]
    pub(crate) svg: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Output,
}

#[derive(Args, Debug)]
pub(crate) struct TightenArgs {
    /// The passkey profile, by id or name.
    pub(crate) profile: String,
    /// Save the proposal (a policy change, versioned and audited). Without it nothing changes.
    #[arg(long)]
    pub(crate) apply: bool,
    /// table: the proposal for people; json: the whole proposal and its what-if; csv: one row per observed model.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Output,
}

#[derive(Args, Debug)]
pub(crate) struct ReadinessArgs {
    /// A built-in authentication strength: mfa, passwordless, phishing-resistant, or its Entra id or name.
    #[arg(long, default_value = "phishing-resistant")]
    pub(crate) strength: String,
    /// Only this group's members (id or display name).
    #[arg(long)]
    pub(crate) group: Option<String>,
    /// Locked-out users listed (default 1000; counts are always complete).
    #[arg(long)]
    pub(crate) top: Option<usize>,
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Output,
}
