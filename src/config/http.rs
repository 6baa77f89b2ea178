//! `[http]`: where the HTTP interface listens, and the bearer token API writes need.

use super::secrets::warn_if_readable_by_others;
use super::{ConfigError, DEFAULT_HTTP_LISTEN};
use crate::sink::Secret;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Shortest API token accepted, characters: a guessable token on a listener someone may one
/// day expose would let anyone silence alerts.
pub const MIN_TOKEN_CHARS: usize = 16;

/// How to make a good token, for error messages.
const TOKEN_ADVICE: &str = "use e.g. `openssl rand -hex 24`";

/// `[http]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    /// `address:port`.
    listen: Option<String>,
    /// The API write token itself.
    token: Option<Secret>,
    /// A file holding the API write token (read once at start, trimmed).
    token_file: Option<PathBuf>,
}

/// `[http]` validated.
pub(super) struct HttpSettings {
    pub(super) listen: SocketAddr,
    pub(super) token: Option<Secret>,
    /// `Some("http.token")` when the token is written in the config file itself.
    pub(super) inline_key: Option<&'static str>,
}

/// Checks `[http]`; `path` is the config file, for messages.
pub(super) fn validate(raw: Option<RawHttp>, path: &Path) -> Result<HttpSettings, ConfigError> {
    let invalid = |key: &str, problem: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        problem,
    };
    let raw = raw.unwrap_or_default();
    let listen = raw
        .listen
        .unwrap_or_else(|| DEFAULT_HTTP_LISTEN.to_string());
    let listen = listen.parse().map_err(|_| {
        invalid(
            "http.listen",
            format!("`{listen}` is not an address:port, like {DEFAULT_HTTP_LISTEN}"),
        )
    })?;
    let token = match (raw.token, raw.token_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "http.token_file",
                "is set together with `http.token`; keep one of the two".into(),
            ))
        }
        (Some(token), None) => Some(("http.token", token)),
        (None, Some(file)) => Some(("http.token_file", read_token_file(&file, &invalid)?)),
        (None, None) => None,
    };
    if let Some((key, token)) = &token {
        check_token(token).map_err(|problem| invalid(key, problem))?;
    }
    let inline_key = token
        .as_ref()
        .and_then(|(key, _)| (*key == "http.token").then_some(*key));
    Ok(HttpSettings {
        listen,
        token: token.map(|(_, t)| t),
        inline_key,
    })
}

fn read_token_file(
    file: &Path,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        invalid(
            "http.token_file",
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(invalid(
            "http.token_file",
            format!(
                "{} is empty; write the token into it ({TOKEN_ADVICE} > {})",
                file.display(),
                file.display()
            ),
        ));
    }
    warn_if_readable_by_others(file, "the API token file");
    Ok(Secret::new(token.to_string()))
}

/// A token must be long enough and sendable in an `Authorization` header. The messages never
/// include the token.
fn check_token(token: &Secret) -> Result<(), String> {
    let token = token.expose();
    let chars = token.chars().count();
    if chars < MIN_TOKEN_CHARS {
        return Err(format!(
            "the token has {chars} characters, fewer than {MIN_TOKEN_CHARS}; {TOKEN_ADVICE}"
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "the token holds spaces or non-ASCII characters, which an Authorization header \
             cannot carry; {TOKEN_ADVICE}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};
    use std::path::{Path, PathBuf};

    const TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015";

    fn parse(http: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("[http]\n{http}\n"), Path::new("bgpwatch.toml"))
    }

    fn token_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bgpwatch-config-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        file
    }

    #[track_caller]
    fn refused(http: &str, key: &str, problem: &[&str]) {
        let err = parse(http).unwrap_err().to_string();
        assert!(err.contains(&format!("`{key}`")), "{err}");
        for part in problem {
            assert!(err.contains(part), "{err} lacks {part:?}");
        }
        assert!(
            !err.contains("short-token") && !err.contains(TOKEN),
            "{err}"
        );
    }

    #[test]
    fn without_a_token_writes_are_off_and_nothing_is_secret() {
        let config = parse("listen = \"127.0.0.1:9999\"").unwrap();
        assert!(config.http_token.is_none());
        assert!(!config.holds_secrets());
        assert!(!Config::default().holds_secrets());
    }

    #[test]
    fn an_inline_token_is_a_secret_of_the_config_file() {
        let config = parse(&format!("token = \"{TOKEN}\"")).unwrap();
        assert_eq!(config.http_token.as_ref().unwrap().expose(), TOKEN);
        assert!(config.holds_secrets());
        assert!(!format!("{config:?}").contains(TOKEN));
    }

    #[test]
    fn a_token_file_is_read_and_trimmed_and_leaves_the_config_file_without_secrets() {
        let file = token_file("token", &format!("{TOKEN}\n"));
        let config = parse(&format!("token_file = \"{}\"", file.display())).unwrap();
        assert_eq!(config.http_token.as_ref().unwrap().expose(), TOKEN);
        assert!(!config.holds_secrets());
    }

    #[test]
    fn unusable_tokens_are_refused_with_the_fix_and_without_the_token() {
        let advice = "openssl rand -hex 24";
        refused(
            "token = \"short-token\"",
            "http.token",
            &["11 characters", advice],
        );
        refused(
            "token = \"short-token with spaces\"",
            "http.token",
            &["spaces", advice],
        );
        let missing = std::env::temp_dir().join("bgpwatch-no-such-token-file");
        refused(
            &format!("token_file = \"{}\"", missing.display()),
            "http.token_file",
            &[&missing.display().to_string()],
        );
        let empty = token_file("empty", " \n");
        refused(
            &format!("token_file = \"{}\"", empty.display()),
            "http.token_file",
            &[&empty.display().to_string(), "empty"],
        );
        let short = token_file("short", "short-token\n");
        refused(
            &format!("token_file = \"{}\"", short.display()),
            "http.token_file",
            &["11 characters"],
        );
        let file = token_file("both", TOKEN);
        refused(
            &format!("token = \"{TOKEN}\"\ntoken_file = \"{}\"", file.display()),
            "http.token_file",
            &["keep one"],
        );
    }
}
