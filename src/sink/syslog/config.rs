//! `[[sinks]] type = "syslog"`.

use crate::alert::{AlertEvent, Severity};
use crate::config::Seconds;
use crate::sink::routing;
use serde::Deserialize;

/// Time to connect and send one message, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 5;
/// Facility of every message.
pub const DEFAULT_FACILITY: Facility = Facility::Daemon;

/// Sends each alert event to a syslog receiver.
///
/// ```toml
/// [[sinks]]
/// type = "syslog"
/// address = "127.0.0.1:514"
/// # transport = "tcp"
/// # facility = "local3"
/// # hostname = "bgpwatch-lhr1"
/// # timeout = "5s"
/// # groups = ["pk-gov"]
/// # min_severity = "warning"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// The receiver, `host:port` (the port is required: 514 is usual for both transports).
    pub address: String,
    /// Name in the outbox, metrics and logs. Default the sink's type; required (and unique)
    /// when two sinks of one type are configured.
    pub name: Option<String>,
    /// `udp` (default: one datagram per message) or `tcp` (RFC 6587 octet counting, one
    /// connection per message).
    #[serde(default)]
    pub transport: Transport,
    /// Syslog facility: `kern`, `user`, `mail`, `daemon`, `auth`, `syslog`, `lpr`, `news`,
    /// `uucp`, `cron`, `authpriv`, `ftp`, `local0` ... `local7`. Default `daemon`.
    pub facility: Option<Facility>,
    /// The HOSTNAME field. Default: this machine's host name.
    pub hostname: Option<String>,
    /// Time to connect and send one message (seconds, or `"5s"`). Default 5 s.
    pub timeout: Option<Seconds>,
    /// Send only alerts of these watchlist groups. Default: every group, and feed alerts.
    pub groups: Option<Vec<String>>,
    /// Send only alerts at least this severe (`info`, `warning`, `critical`). Default: all.
    pub min_severity: Option<Severity>,
}

impl SyslogConfig {
    /// A config sending to `address` over `transport` with every default.
    pub fn new(address: impl Into<String>, transport: Transport) -> Self {
        SyslogConfig {
            address: address.into(),
            name: None,
            transport,
            facility: None,
            hostname: None,
            timeout: None,
            groups: None,
            min_severity: None,
        }
    }

    /// True when this sink takes `event` (see [`routing::accepts`]).
    pub fn accepts(&self, event: &AlertEvent) -> bool {
        routing::accepts(self.groups.as_deref(), self.min_severity, event)
    }
}

/// How messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// One datagram per message (RFC 5426): no delivery guarantee.
    #[default]
    Udp,
    /// A TCP connection per message, octet-counting framing (RFC 6587 section 3.4.1).
    Tcp,
}

/// RFC 5424 facilities a program may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Facility {
    Kern,
    User,
    Mail,
    Daemon,
    Auth,
    Syslog,
    Lpr,
    News,
    Uucp,
    Cron,
    Authpriv,
    Ftp,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    /// The numeric code (RFC 5424 table 1).
    pub fn code(self) -> u8 {
        match self {
            Facility::Kern => 0,
            Facility::User => 1,
            Facility::Mail => 2,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::Syslog => 5,
            Facility::Lpr => 6,
            Facility::News => 7,
            Facility::Uucp => 8,
            Facility::Cron => 9,
            Facility::Authpriv => 10,
            Facility::Ftp => 11,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_is_udp_to_the_address() {
        let config: SyslogConfig = toml::from_str(r#"address = "127.0.0.1:514""#).unwrap();
        assert_eq!(config, SyslogConfig::new("127.0.0.1:514", Transport::Udp));
    }

    #[test]
    fn every_key_parses() {
        let config: SyslogConfig = toml::from_str(
            r#"
            address = "siem.example:6514"
            transport = "tcp"
            facility = "local3"
            hostname = "bgpwatch-lhr1"
            timeout = "2s"
            groups = ["pk-gov"]
            min_severity = "warning"
            "#,
        )
        .unwrap();
        assert_eq!(config.transport, Transport::Tcp);
        assert_eq!(config.facility.map(Facility::code), Some(19));
        assert_eq!(config.hostname.as_deref(), Some("bgpwatch-lhr1"));
    }

    #[test]
    fn unknown_transport_and_keys_are_refused() {
        assert!(toml::from_str::<SyslogConfig>("address = \"h:1\"\ntransport = \"tls\"").is_err());
        assert!(toml::from_str::<SyslogConfig>("address = \"h:1\"\nport = 514").is_err());
    }
}
