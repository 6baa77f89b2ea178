//! Decompression on a thread of its own: a reader that a helper thread fills, chunk by chunk,
//! ahead of the parser (the second core decompresses while the first parses and detects).

use std::io::{BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes per chunk handed over (below glibc's mmap threshold, so chunks are reused in place).
const CHUNK: usize = 64 * 1024;
/// Chunks in flight: how far decompression may run ahead.
const AHEAD: usize = 8;

/// The consuming end: a [`BufRead`] over the chunks the helper thread produces.
pub struct Piped {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    /// Emptied chunks go back to the helper to be filled again.
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

/// Reads `source` on a new thread; the returned reader yields the same bytes. The thread ends
/// at the end of `source`, on its first error (passed on), or when the reader is dropped.
pub fn piped(mut source: impl Read + Send + 'static) -> Piped {
    let (chunk_tx, chunks) = sync_channel::<std::io::Result<Vec<u8>>>(AHEAD);
    let (recycle, recycled) = sync_channel::<Vec<u8>>(AHEAD + 2);
    let spawned = std::thread::Builder::new()
        .name("decompress".into())
        .spawn(move || loop {
            let mut chunk = recycled.try_recv().unwrap_or_default();
            chunk.resize(CHUNK, 0);
            let (n, error) = read_full(&mut source, &mut chunk);
            chunk.truncate(n);
            if n > 0 && chunk_tx.send(Ok(chunk)).is_err() {
                return;
            }
            match error {
                Some(e) => {
                    let _ = chunk_tx.send(Err(e));
                    return;
                }
                None if n == 0 => return,
                None => {}
            }
        });
    if let Err(e) = spawned {
        // No thread to be had: the reader reports it as a read error.
        let (tx, rx) = sync_channel(1);
        let _ = tx.send(Err(e));
        return Piped::new(rx, recycle);
    }
    Piped::new(chunks, recycle)
}

/// Fills `buffer` as far as `source` allows: the bytes read (0 at the end) and the error that
/// stopped it, if any.
fn read_full(source: &mut impl Read, buffer: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

impl Piped {
    fn new(chunks: Receiver<std::io::Result<Vec<u8>>>, recycle: SyncSender<Vec<u8>>) -> Piped {
        Piped {
            chunks,
            recycle,
            current: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl BufRead for Piped {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.at == self.current.len() && !self.done {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    self.at = 0;
                    let _ = self.recycle.try_send(used);
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.current[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.current.len());
    }
}

impl Read for Piped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piped_bytes_arrive_whole_and_in_order() {
        let data: Vec<u8> = (0..(3 * CHUNK + 123)).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        piped(std::io::Cursor::new(data.clone()))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn a_read_error_reaches_the_reader() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("torn gzip member"))
            }
        }
        let error = piped(Failing).read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), "torn gzip member");
    }
}
