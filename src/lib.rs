//! engagiert: the API backend of the Kommunen-Netzwerk: engagiert in NRW.

pub mod accounts;
pub mod api_tokens;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod documents;
pub mod error;
pub mod history;
pub mod http;
pub mod ids;
pub mod meetings;
pub mod municipalities;
pub mod openapi;
pub mod ops;
pub mod resource;
pub mod stats;
pub mod surveys;
pub mod telemetry;
pub mod text;
pub mod types;
pub mod users;
pub mod webhooks;
