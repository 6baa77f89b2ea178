//! Reading lines of hostile length: a line is held up to a limit, and the rest of it is passed
//! over without being stored, so a file with no newline cannot make the reader buffer it whole.

use std::io::{BufRead, ErrorKind};

/// One line as read.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Line {
    /// Bytes taken from the reader (newline included); 0 at the end of the input.
    pub consumed: u64,
    /// The line was longer than the limit: `buf` holds only its first `max` bytes.
    pub overlong: bool,
}

/// Reads up to and including the next `\n` into `buf` (cleared first), keeping at most `max`
/// bytes; the rest of a longer line is read and discarded.
pub(super) fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    buf.clear();
    let mut line = Line {
        consumed: 0,
        overlong: false,
    };
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(line);
        }
        let (chunk, done) = match memchr(available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            line.overlong = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        line.consumed += n as u64;
        if done {
            return Ok(line);
        }
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_over_the_limit_is_cut_and_the_next_line_read_whole() {
        let text = format!("{}\nnext\n", "x".repeat(10_000));
        let mut reader = std::io::BufReader::with_capacity(64, text.as_bytes());
        let mut buf = Vec::new();
        let first = read_line(&mut reader, &mut buf, 100).unwrap();
        assert_eq!(
            (first.consumed, first.overlong, buf.len()),
            (10_001, true, 100)
        );
        let second = read_line(&mut reader, &mut buf, 100).unwrap();
        assert_eq!((second.consumed, second.overlong), (5, false));
        assert_eq!(buf, b"next\n");
        let end = read_line(&mut reader, &mut buf, 100).unwrap();
        assert_eq!((end.consumed, buf.len()), (0, 0));
    }

    #[test]
    fn a_last_line_without_newline_is_returned() {
        let mut reader = std::io::BufReader::new(&b"tail"[..]);
        let mut buf = Vec::new();
        let line = read_line(&mut reader, &mut buf, 100).unwrap();
        assert_eq!((line.consumed, line.overlong), (4, false));
        assert_eq!(buf, b"tail");
    }
}
