//! Secrets in files other users can read: warned about, not refused (a container or a
//! single-user host may not care), once per file at load.

use std::path::Path;

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

#[cfg(all(test, unix))]
mod tests {
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
