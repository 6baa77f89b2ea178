//! Secrets in files other users can read: warned about, not refused (a container or a
//! single-user host may not care), once per file at load. And secrets in error messages: a TOML
//! error on a line that sets a secret is reported without the line.

use std::path::Path;

/// Keys whose values are secrets, in any table (`[http] token`, a sink's `routing_key`, ...).
pub const SECRET_KEYS: &[&str] = &["token", "routing_key", "bearer_token"];

/// The message for a TOML error in `text`: the parser's own (with the offending line), unless
/// that line sets one of [`SECRET_KEYS`]; then only the line number and key, because the
/// parser would print the value.
pub fn toml_error_message(text: &str, error: &toml::de::Error) -> String {
    let Some(span) = error.span() else {
        return error.to_string();
    };
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let key = text[line_start..line_end]
        .split_once('=')
        .map(|(key, _)| key.trim().trim_matches(['"', '\'']))
        .map(|key| key.rsplit('.').next().unwrap_or(key).trim());
    match key {
        Some(key) if SECRET_KEYS.contains(&key) => format!(
            "line {}: `{key}` is not a valid TOML string (the line is not shown: it holds a \
             secret); write it in double quotes, like {key} = \"...\"",
            text[..line_start].matches('\n').count() + 1
        ),
        _ => error.to_string(),
    }
}

/// Permission bits that let the file's group or everybody read it.
const READABLE_BY_OTHERS: u32 = 0o044;

/// The file's mode when its group or everybody may read it; `None` otherwise, or when it
/// cannot be inspected (or off Unix).
pub fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        (mode & READABLE_BY_OTHERS != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Logs a warning naming `file` and its mode when others may read it; `what` says what it holds.
pub fn warn_if_readable_by_others(file: &Path, what: &str) {
    if let Some(mode) = readable_by_others(file) {
        tracing::warn!(
            file = %file.display(),
            mode = %format!("{mode:o}"),
            "{what} holds secrets but is readable by its group or everybody; \
             run `chmod 600 {}`",
            file.display()
        );
    }
}

#[cfg(test)]
mod tests {
    /// The error message of loading `text` as the config.
    fn message(text: &str) -> String {
        let path = std::path::Path::new("bgpwatch.toml");
        crate::config::Config::parse(text, path)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_toml_error_on_a_secret_line_does_not_show_the_value() {
        let cases = [
            "[http]\ntoken = 1234567890123456789\n",
            "[http]\ntoken = \"abcdefgh\\q1234567890123456789\"\n",
            "[http]\n\"token\" = \"1234567890123456789\n",
            "http.token = \"1234567890123456789\n",
            "[[sinks]]\ntype = \"jsonl\"\nrouting_key = \"1234567890123456789\n",
        ];
        for text in cases {
            let shown = message(text);
            assert!(!shown.contains("1234567890123456789"), "{shown}");
            assert!(shown.contains("is not a valid TOML string"), "{shown}");
        }
        assert!(message("[http]\ntoken = 1234567890123456789\n").contains(": line 2: `token`"));
    }

    #[test]
    fn other_toml_errors_keep_the_parser_message() {
        let shown = message("[detect]\nmin_peers = \"two\n");
        assert!(shown.contains("min_peers = \"two"), "{shown}");
    }
}

#[cfg(all(test, unix))]
mod mode_tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn group_or_world_readable_files_are_found_private_ones_are_not() {
        let dir = std::env::temp_dir().join(format!("bgpwatch-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "x").unwrap();
        for (mode, expected) in [
            (0o600, None),
            (0o400, None),
            (0o640, Some(0o640)),
            (0o604, Some(0o604)),
            (0o644, Some(0o644)),
        ] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(readable_by_others(&file), expected, "mode {mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
