//! Webhooks (issue 14, in progress): signed deliveries of the change feed to the URLs admins
//! register. What is here so far are the parts every delivery depends on, each tested on its
//! own: the Standard Webhooks v1 signature (`signing`), the rule which addresses a delivery
//! may go to (`addresses`) and the HTTP client that sends one (`sender`). The resource, the outbox and the dispatcher build on
//! them.

pub mod addresses;
pub mod sender;
pub mod signing;
