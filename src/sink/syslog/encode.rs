//! Alert events as RFC 5424 messages, and RFC 6587 octet-counting frames (pure).

use super::config::Facility;
use crate::alert::{AlertEvent, Lifecycle, Severity};
use crate::update::Timestamp;
use chrono::{SecondsFormat, Timelike};

/// APP-NAME of every message.
pub const APP_NAME: &str = "bgpwatch";
/// MSGID of every message.
pub const MSG_ID: &str = "ALERT";
/// SD-ID of the structured data element. 32473 is the private enterprise number RFC 5612
/// reserves for documentation.
pub const SD_ID: &str = "bgpwatch@32473";
/// RFC 5424 severity of a `resolved` event: `notice`, so an all-clear never looks like a page.
pub const RESOLVED_SEVERITY: u8 = 5;

/// RFC 5424 severity: critical -> 2 (`crit`), warning -> 4, info -> 6; `resolved` -> 5.
pub fn severity_code(event: &AlertEvent) -> u8 {
    if event.event == Lifecycle::Resolved {
        return RESOLVED_SEVERITY;
    }
    match event.severity {
        Severity::Critical => 2,
        Severity::Warning => 4,
        Severity::Info => 6,
    }
}

/// One RFC 5424 message (no trailing newline):
/// `<PRI>1 TIMESTAMP HOSTNAME bgpwatch - ALERT [bgpwatch@32473 ...] summary`.
/// `hostname` must already be valid (printable ASCII, no spaces).
pub fn line(event: &AlertEvent, facility: Facility, hostname: &str) -> String {
    let pri = u16::from(facility.code()) * 8 + u16::from(severity_code(event));
    let mut params = vec![
        ("id", event.id.clone()),
        ("event", lifecycle(event.event).to_string()),
        ("kind", event.kind.to_string()),
        ("severity", event.severity.to_string()),
    ];
    let optional = [
        ("prefix", event.prefix.map(|p| p.to_string())),
        (
            "watched_prefix",
            event.watched_prefix.map(|p| p.to_string()),
        ),
        ("origin", event.origin.map(|asn| asn.to_string())),
        ("offender", event.offender.map(|asn| asn.to_string())),
        ("group", event.group.clone()),
        ("source", event.source.clone()),
    ];
    params.extend(
        optional
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?))),
    );
    params.push(("peers", event.peers.to_string()));
    let data: String = params
        .iter()
        .map(|(name, value)| format!(" {name}=\"{}\"", escape_param(value)))
        .collect();
    format!(
        "<{pri}>1 {} {hostname} {APP_NAME} - {MSG_ID} [{SD_ID}{data}] {}",
        timestamp(&event.time),
        message(&event.summary)
    )
}

/// RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`.
pub fn octet_counted(line: &str) -> Vec<u8> {
    let mut frame = format!("{} ", line.len()).into_bytes();
    frame.extend_from_slice(line.as_bytes());
    frame
}

fn lifecycle(event: Lifecycle) -> &'static str {
    match event {
        Lifecycle::Open => "open",
        Lifecycle::Update => "update",
        Lifecycle::Resolved => "resolved",
    }
}

/// RFC 3339 UTC with at most six fraction digits (RFC 5424 TIME-SECFRAC).
fn timestamp(time: &Timestamp) -> String {
    let format = if time.nanosecond() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    time.to_rfc3339_opts(format, true)
}

/// PARAM-VALUE escaping: `"`, `\` and `]` get a backslash.
fn escape_param(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The MSG part: plain when ASCII; UTF-8 text starts with a BOM as RFC 5424 requires. Line
/// breaks become spaces (one event, one line).
fn message(summary: &str) -> String {
    let flat: String = summary
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.is_ascii() {
        flat
    } else {
        format!("\u{feff}{flat}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::testing::{sample_event, sample_resolved};
    use chrono::TimeZone;

    const GOLDEN_OPEN: &str = "<26>1 2026-01-01T07:18:42Z bgpwatch-lhr1 bgpwatch - ALERT \
        [bgpwatch@32473 id=\"3f2a9c0d1e4b5a68\" event=\"open\" kind=\"origin-hijack\" \
        severity=\"critical\" prefix=\"198.51.100.0/24\" watched_prefix=\"198.51.100.0/24\" \
        origin=\"64666\" offender=\"64666\" group=\"pk-gov\" peers=\"9\"] 198.51.100.0/24 \
        announced by AS64666 instead of AS64500, seen by 9 vantage points";

    #[test]
    fn open_alert_matches_golden_line() {
        assert_eq!(
            line(&sample_event(), Facility::Daemon, "bgpwatch-lhr1"),
            GOLDEN_OPEN
        );
    }

    #[test]
    fn resolved_is_notice_and_facility_moves_pri() {
        let text = line(&sample_resolved(), Facility::Local0, "h");
        assert!(
            text.starts_with("<133>1 2026-01-01T08:00:00Z h bgpwatch - ALERT "),
            "{text}"
        );
        assert!(text.contains(" event=\"resolved\" "));
    }

    #[test]
    fn warning_and_info_map_to_their_rfc5424_codes() {
        let mut event = sample_event();
        event.severity = Severity::Warning;
        assert_eq!(severity_code(&event), 4);
        event.severity = Severity::Info;
        assert_eq!(severity_code(&event), 6);
    }

    #[test]
    fn param_values_escape_quote_backslash_and_bracket() {
        let mut event = sample_event();
        event.group = Some(r#"a"b\c]d"#.into());
        assert!(line(&event, Facility::Daemon, "h").contains(r#" group="a\"b\\c\]d" "#));
    }

    #[test]
    fn fractions_are_cut_to_microseconds() {
        let mut event = sample_event();
        event.time = chrono::Utc
            .timestamp_opt(1_767_252_000, 123_456_789)
            .unwrap();
        assert!(line(&event, Facility::Daemon, "h").contains(" 2026-01-01T07:20:00.123456Z "));
    }

    #[test]
    fn non_ascii_summary_gets_a_bom_and_no_line_breaks() {
        let mut event = sample_event();
        event.summary = "préfixe\nperdu".into();
        assert!(line(&event, Facility::Daemon, "h").ends_with("] \u{feff}préfixe perdu"));
    }

    #[test]
    fn octet_counting_prefixes_the_byte_length() {
        assert_eq!(
            octet_counted("<14>1 é"),
            "8 <14>1 é".as_bytes(),
            "é is two octets"
        );
    }
}
