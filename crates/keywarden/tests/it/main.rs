//! The `keywarden` command line, run as a process: exit codes, messages, and what each command writes.

mod commands;
mod diagnose;
mod reports;
mod rollout;
mod support;
