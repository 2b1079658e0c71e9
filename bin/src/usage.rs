//! A flag or argument that cannot be taken. The process says which and exits with 2, as clap
//! does for a malformed command line; every other failure (a service down, a port taken) exits
//! with 1.

use std::fmt;

#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// `usage!("--flag: ...")`: an [`anyhow::Error`] that is a [`UsageError`].
macro_rules! usage {
    ($($arg:tt)*) => {
        anyhow::Error::new($crate::usage::UsageError(format!($($arg)*)))
    };
}
pub(crate) use usage;

/// Whether `error` (or what it wraps) is a usage error.
pub fn is_usage(error: &anyhow::Error) -> bool {
    error.chain().any(|e| e.is::<UsageError>())
}
