//! Handlers, one file per resource.

pub mod accounts;
pub mod api_keys;
pub mod credentials;
pub mod devices;
pub mod health;
pub mod login;
pub mod sso;
pub mod teams;
pub mod users;
pub mod views;
