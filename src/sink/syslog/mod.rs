//! The `syslog` sink: one RFC 5424 message per alert event, as a UDP datagram (RFC 5426) or
//! over TCP with octet-counting framing (RFC 6587), for SIEMs and log pipelines.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOST bgpwatch - ALERT [bgpwatch@32473 id="..." kind="..." prefix="..."] summary
//! ```

mod client;
pub mod config;
pub mod encode;

pub use client::SyslogSink;
pub use config::{Facility, SyslogConfig, Transport};
