//! Validated value types. Raw strings are parsed here, at the edge, into types that cannot hold an
//! invalid value; commands carry only these.

use crate::ValidationError;

mod account;
mod person;
mod secret;
mod sso;
pub use account::*;
pub use person::*;
pub use secret::*;
pub use sso::*;
#[cfg(test)]
mod tests;

fn check_len(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ValidationError::new(
            field,
            format!("must be {min} to {max} characters long"),
        ));
    }
    Ok(())
}
