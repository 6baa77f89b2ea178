//! Opening an input file: transparent gzip/bzip2 decompression and format sniffing.

use super::pipe::piped;
use super::{InputFormat, SourceError};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

const READ_BUFFER: usize = 256 * 1024;

/// Compression of an input file, from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (possibly several members).
    Gzip,
    /// bzip2 (possibly several streams).
    Bzip2,
}

/// An opened input, decompressed and buffered.
pub struct Opened {
    /// The decompressed byte stream.
    pub reader: Box<dyn BufRead + Send>,
    /// The compression it had.
    pub compression: Compression,
}

/// Opens `path`, undoing gzip or bzip2 compression (detected by content, not by name).
pub fn open(path: &Path) -> Result<Opened, SourceError> {
    let open_error = |source| SourceError::Open {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(SourceError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(open_error)?;
    decompress(BufReader::with_capacity(READ_BUFFER, file)).map_err(open_error)
}

/// Undoes gzip or bzip2 compression of any byte stream (detected by its first bytes), as
/// [`open`] does for a file: the replay path for bytes that are not in a file (fuzzing, tests).
pub fn decompress(mut raw: impl BufRead + Send + 'static) -> Result<Opened, std::io::Error> {
    let magic = raw.fill_buf()?;
    let compression = if magic.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if magic.starts_with(b"BZh") {
        Compression::Bzip2
    } else {
        Compression::None
    };
    let reader: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(raw),
        // Decompression runs on its own thread, ahead of the parser.
        Compression::Gzip => Box::new(piped(flate2::bufread::MultiGzDecoder::new(raw))),
        Compression::Bzip2 => Box::new(piped(bzip2::bufread::MultiBzDecoder::new(raw))),
    };
    Ok(Opened {
        reader,
        compression,
    })
}

/// Guesses the format from the first decompressed bytes.
pub fn sniff(path: &Path, reader: &mut dyn BufRead) -> Result<InputFormat, SourceError> {
    let head = match reader.fill_buf() {
        Ok(head) => head,
        Err(e) => {
            return Err(SourceError::Damaged {
                path: path.to_path_buf(),
                format: "compressed input",
                offset: 0,
                line: None,
                reason: e.to_string(),
            })
        }
    };
    if head.is_empty() {
        return Err(SourceError::Empty {
            path: path.to_path_buf(),
        });
    }
    // Binary formats first: an MRT timestamp can start with any byte, '{' included.
    if looks_like_bmp(head) {
        return Ok(InputFormat::Bmp);
    }
    if looks_like_mrt(head) {
        return Ok(InputFormat::Mrt);
    }
    if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return Ok(InputFormat::RisLive);
    }
    Err(SourceError::UnknownFormat {
        path: path.to_path_buf(),
        first_bytes: head.iter().take(12).map(|b| format!("{b:02x}")).collect(),
    })
}

fn looks_like_bmp(head: &[u8]) -> bool {
    if head.len() < 6 || head[0] != 3 {
        return false;
    }
    let length = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
    (6..=super::bmp::MAX_MESSAGE_LEN).contains(&length) && head[5] <= 6
}

fn looks_like_mrt(head: &[u8]) -> bool {
    if head.len() < 12 {
        return false;
    }
    let kind = u16::from_be_bytes([head[4], head[5]]);
    // OSPFv2, TABLE_DUMP, TABLE_DUMP_V2, BGP4MP, BGP4MP_ET, ISIS, ISIS_ET, OSPFv3, OSPFv3_ET,
    // and the deprecated types 1-11 (BGP, RIP, IDRP, ...).
    matches!(kind, 1..=13 | 16 | 17 | 32 | 33 | 48 | 49)
}

/// Counts the bytes read through it, so errors can name an offset.
pub struct CountingReader<R> {
    inner: R,
    position: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`; `position` is shared with whoever needs the offset.
    pub fn new(inner: R, position: std::rc::Rc<std::cell::Cell<u64>>) -> Self {
        CountingReader { inner, position }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position.set(self.position.get() + n as u64);
        Ok(n)
    }
}
