//! engagiert: the API backend of the Kommunen-Netzwerk: engagiert in NRW.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod openapi;
pub mod ops;
pub mod telemetry;
pub mod types;
pub mod users;
