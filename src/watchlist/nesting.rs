//! A guard run before the YAML parser: flow collections (`[`, `{`) nested beyond any watchlist's
//! need are refused up front. libyaml's scanner takes time quadratic in that depth (100,000
//! unclosed `{a: ` took 110 s in a debug build) before the deserializer's recursion limit can
//! say no.

/// Deepest flow nesting accepted; a watchlist needs 3 (`prefixes: {P: {origins: [..]}}`).
pub const MAX_FLOW_DEPTH: usize = 64;

/// Flow collections nested deeper than [`MAX_FLOW_DEPTH`]: the line (1-based) where they go
/// past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("collections nested deeper than {MAX_FLOW_DEPTH} levels at line {line}")]
pub struct TooDeep {
    /// Where the limit was passed.
    pub line: u64,
}

/// Checks `text`. Brackets inside quotes and comments do not count; one inside a plain scalar
/// (`description: a [b]`) does, which only matters past the limit.
pub fn check(text: &str) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut line = 1u64;
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\n') => {
                line += 1;
                if quote == Some('#') {
                    quote = None;
                }
            }
            // An escaped newline is left to be counted as a line; any other escape is skipped.
            (Some('"'), '\\') if chars.clone().next() == Some('\n') => {}
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(q), c) if q == c && q != '#' => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if previous.is_whitespace() => quote = Some('#'),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(TooDeep { line });
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_watchlist_shapes_pass() {
        let text = "groups:\n  gov: { severity: critical }\nprefixes:\n  10.0.0.0/8: { origins: [1, 2], description: \"a [b\" } # c [[[\n  11.0.0.0/8: {origins: ['x{']}\n";
        assert_eq!(check(text), Ok(()));
    }

    #[test]
    fn deep_flow_nesting_is_refused_at_its_line() {
        let text = format!("prefixes:\n  10.0.0.0/8: {}", "[".repeat(65));
        assert_eq!(check(&text), Err(TooDeep { line: 2 }));
        let closed = format!("a: {}{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(check(&closed), Ok(()));
    }
}
