//! A configuration file through `bgpwatch check-config`: TOML parsed and validated
//! ([`Config::parse`]); a valid one's Debug output (what logs show) keeps the API token out.

use bgpwatch::config::Config;
use std::path::Path;

/// Parses and validates `data` as `bgpwatch.toml`.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text, Path::new("bgpwatch.toml")) else {
        return;
    };
    let debug = format!("{config:?}");
    if let Some(token) = &config.http_token {
        let token = token.expose();
        // Written once in the file, so no other value can legitimately contain it.
        if !token.is_empty() && text.matches(token.as_str()).count() == 1 {
            assert!(
                !debug.contains(token.as_str()),
                "the API token leaks into Debug output"
            );
        }
    }
}
