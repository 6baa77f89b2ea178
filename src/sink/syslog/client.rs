//! Sending syslog messages over UDP or TCP.

use super::config::{SyslogConfig, Transport, DEFAULT_FACILITY, DEFAULT_TIMEOUT_SECS};
use super::encode;
use super::Facility;
use crate::alert::{AlertEvent, Severity};
use crate::sink::error::{DeliveryError, DeliveryFailure, SinkConfigError};
use crate::sink::{routing, validate};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

/// The largest UDP payload IPv4 can carry.
pub const MAX_UDP_MESSAGE: usize = 65_507;
/// Where the machine's host name is read when `hostname` is not configured.
const HOSTNAME_FILE: &str = "/proc/sys/kernel/hostname";
/// RFC 5424 HOSTNAME is at most this long.
const MAX_HOSTNAME: usize = 255;

const NAME: &str = "syslog";

/// A validated `syslog` sink.
#[derive(Debug, Clone)]
pub struct SyslogSink {
    address: String,
    transport: Transport,
    facility: Facility,
    hostname: String,
    timeout: Duration,
    groups: Option<Vec<String>>,
    min_severity: Option<Severity>,
}

impl SyslogSink {
    /// Checks `config`. The address is resolved at each delivery (DNS may change).
    pub fn new(config: SyslogConfig) -> Result<Self, SinkConfigError> {
        check_address(&config.address)?;
        let hostname = match config.hostname {
            Some(name) if valid_hostname(&name) => name,
            Some(_) => {
                return Err(SinkConfigError::new(
                    NAME,
                    "hostname",
                    format!(
                        "must be 1 to {MAX_HOSTNAME} printable ASCII characters without spaces"
                    ),
                ))
            }
            None => system_hostname(),
        };
        validate::groups(NAME, config.groups.as_deref())?;
        Ok(SyslogSink {
            address: config.address,
            transport: config.transport,
            facility: config.facility.unwrap_or(DEFAULT_FACILITY),
            hostname,
            timeout: validate::timeout(NAME, config.timeout, DEFAULT_TIMEOUT_SECS)?,
            groups: config.groups,
            min_severity: config.min_severity,
        })
    }

    /// The sink's kind, as a metrics label.
    pub fn name(&self) -> &'static str {
        NAME
    }

    /// True when this sink takes `event` (`groups`, `min_severity`).
    pub fn accepts(&self, event: &AlertEvent) -> bool {
        routing::accepts(self.groups.as_deref(), self.min_severity, event)
    }

    /// Sends one message. Over UDP, success means the datagram left this host, not that it
    /// arrived; over TCP, that the receiver's kernel accepted it.
    pub async fn deliver(&self, event: &AlertEvent) -> Result<(), DeliveryError> {
        let line = encode::line(event, self.facility, &self.hostname);
        let send = async {
            match self.transport {
                Transport::Udp => self.send_udp(line.as_bytes()).await,
                Transport::Tcp => self.send_tcp(&encode::octet_counted(&line)).await,
            }
        };
        let failure = match tokio::time::timeout(self.timeout, send).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(failure)) => failure,
            Err(_) => DeliveryFailure::Timeout {
                after: self.timeout,
            },
        };
        Err(DeliveryError::new(NAME, self.endpoint(), failure))
    }

    fn endpoint(&self) -> String {
        let transport = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        };
        format!("{transport}://{}", self.address)
    }

    async fn resolve(&self) -> Result<SocketAddr, DeliveryFailure> {
        let connect = |source: std::io::Error| DeliveryFailure::Connect {
            source: source.into(),
        };
        tokio::net::lookup_host(&self.address)
            .await
            .map_err(connect)?
            .next()
            .ok_or_else(|| connect(std::io::Error::other("the name has no address")))
    }

    async fn send_udp(&self, message: &[u8]) -> Result<(), DeliveryFailure> {
        if message.len() > MAX_UDP_MESSAGE {
            return Err(DeliveryFailure::TooLarge {
                len: message.len(),
                max: MAX_UDP_MESSAGE,
                transport: "udp",
            });
        }
        let target = self.resolve().await?;
        let local: SocketAddr = if target.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)
            .await
            .map_err(|e| DeliveryFailure::Connect { source: e.into() })?;
        socket
            .send_to(message, target)
            .await
            .map_err(|e| DeliveryFailure::Transport { source: e.into() })?;
        Ok(())
    }

    async fn send_tcp(&self, frame: &[u8]) -> Result<(), DeliveryFailure> {
        let target = self.resolve().await?;
        let mut stream = TcpStream::connect(target)
            .await
            .map_err(|e| DeliveryFailure::Connect { source: e.into() })?;
        let transport = |e: std::io::Error| DeliveryFailure::Transport { source: e.into() };
        stream.write_all(frame).await.map_err(transport)?;
        stream.shutdown().await.map_err(transport)
    }
}

/// `host:port` with a numeric port.
fn check_address(address: &str) -> Result<(), SinkConfigError> {
    let bad = |why: &str| {
        SinkConfigError::new(
            NAME,
            "address",
            format!("`{address}` {why}; write host:port, like \"127.0.0.1:514\""),
        )
    };
    let (host, port) = address.rsplit_once(':').ok_or_else(|| bad("has no port"))?;
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad("has no valid port")),
        Ok(_) => Ok(()),
    }
}

fn valid_hostname(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_HOSTNAME && name.bytes().all(|b| (33..=126).contains(&b))
}

/// The kernel's host name, or `-` (RFC 5424 NILVALUE) when it cannot be read or used.
fn system_hostname() -> String {
    std::fs::read_to_string(HOSTNAME_FILE)
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| valid_hostname(name))
        .unwrap_or_else(|| "-".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_needs_host_and_port() {
        for bad in ["127.0.0.1", ":514", "host:0", "host:syslog"] {
            let err = SyslogSink::new(SyslogConfig::new(bad, Transport::Udp)).unwrap_err();
            assert_eq!(err.key, "address", "{bad}");
        }
        for good in ["127.0.0.1:514", "[::1]:514", "siem.example:6514"] {
            assert!(
                SyslogSink::new(SyslogConfig::new(good, Transport::Tcp)).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn hostname_with_spaces_is_refused() {
        let mut config = SyslogConfig::new("127.0.0.1:514", Transport::Udp);
        config.hostname = Some("my host".into());
        assert_eq!(SyslogSink::new(config).unwrap_err().key, "hostname");
    }

    #[test]
    fn missing_hostname_falls_back_to_a_valid_field() {
        let sink = SyslogSink::new(SyslogConfig::new("127.0.0.1:514", Transport::Udp)).unwrap();
        assert!(valid_hostname(&sink.hostname), "{}", sink.hostname);
    }
}
