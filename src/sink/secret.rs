//! Values that must never reach a log line: PagerDuty routing keys, bearer tokens, webhook URLs
//! that embed a token.

use serde::Deserialize;
use std::fmt;

/// A secret read from the configuration. `Debug` prints `***` and there is no `Display`, so a
/// secret cannot end up in a log line or an error message by accident; [`Secret::expose`] is the
/// one way to read it, at the place it goes on the wire.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the request that carries it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_value() {
        let secret = Secret::from("R0UTINGKEY");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(secret.expose(), "R0UTINGKEY");
    }

    #[test]
    fn deserializes_from_a_plain_string() {
        #[derive(Debug, Deserialize)]
        struct Holder {
            key: Secret,
        }
        let holder: Holder = toml::from_str(r#"key = "abc""#).unwrap();
        assert_eq!(holder.key.expose(), "abc");
        assert!(!format!("{holder:?}").contains("abc"));
    }
}
