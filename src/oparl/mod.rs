//! The OParl 1.1 interface (`/oparl/v1/...`): a read-only mapping of the network's records
//! onto the German standard for council information, so that OParl clients and portals read
//! members, meetings and best-practice documents without code of their own. Wire objects in
//! `api`; the mapping in `service` (lists, Body, System, places) with `members`, `meetings`
//! and `papers`; the rows it reads in `model`; the handlers in `routes`.

pub mod api;
mod meetings;
mod members;
pub mod model;
mod papers;
mod routes;
pub mod service;

pub use self::routes::routes;
pub use self::service::Site;
