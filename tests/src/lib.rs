//! Support for the end-to-end tests: loopback stand-ins for the external services
//! (model providers, PostHog, webhook receivers) and fresh databases.

pub mod database;
pub mod posthog;
pub mod receiver;
pub mod rig;
pub mod standin;
