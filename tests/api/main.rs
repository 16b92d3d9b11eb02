//! Integration tests: HTTP against the real app on a fresh database per test, on SQLite
//! and (with `TEST_DATABASE_URL`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod auth;
mod authorization;
mod backup;
mod cache;
mod changes;
mod conventions;
mod dependable;
mod deployment;
mod documents;
mod embeds;
mod erasure;
mod errors;
mod formats;
mod history;
mod hostile_text;
mod idempotency;
mod imports;
mod log_capture;
mod markdown;
mod meeting_registrations;
mod meetings;
mod municipalities;
mod object_store;
mod oparl;
mod operations;
mod privacy;
mod retention;
mod round_trip;
mod signed_in_reads;
mod survey_responses;
mod survey_results;
mod surveys;
mod users;
mod webhook_resource;
mod webhook_restart;
mod webhooks;
