//! Webhooks (issue 14, in progress): signed deliveries of the change feed to the URLs admins
//! register. What is here so far: the Standard Webhooks v1 signature (`signing`), the rule
//! which addresses a delivery may go to (`addresses`), the HTTP client that sends one
//! (`sender`), the outbox derived from the change feed (`outbox`) and the dispatcher that
//! works it off (`dispatcher`). The `/webhooks` resource and starting the dispatcher with the
//! service come next; until then nothing here is reachable through the API.

pub mod addresses;
pub mod dispatcher;
pub mod model;
pub mod outbox;
pub mod sender;
pub mod signing;
