//! A watchlist file about to be written (DESIGN.md section 4), and its YAML text: a `#` header,
//! then `groups:`, `asns:` and `prefixes:` with one line per entry, so that `diff` and `grep`
//! work line by line. The text depends only on the document: same document, same bytes.

use crate::alert::Severity;
use crate::update::Asn;
use ipnet::IpNet;
use std::fmt::Write;

/// A watchlist file's content, in the order it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Header comment lines, without the leading `# `.
    pub header: Vec<String>,
    /// Paging groups.
    pub groups: Vec<DocGroup>,
    /// Watched ASes.
    pub asns: Vec<DocAsn>,
    /// Watched prefixes.
    pub prefixes: Vec<DocPrefix>,
}

/// A group as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocGroup {
    /// Its name.
    pub name: String,
    /// Its severity cap.
    pub severity: Severity,
    /// Free text.
    pub description: Option<String>,
}

/// An `asns:` entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocAsn {
    /// The AS.
    pub asn: Asn,
    /// Free text.
    pub description: Option<String>,
    /// Allowed upstreams (omitted when empty).
    pub upstreams: Vec<Asn>,
    /// Prefixes outside the country's space it was seen originating (omitted when empty).
    pub originates: Vec<IpNet>,
}

/// A `prefixes:` entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocPrefix {
    /// The prefix.
    pub prefix: IpNet,
    /// Free text.
    pub description: Option<String>,
    /// Expected origins; empty = squat watch.
    pub origins: Vec<Asn>,
    /// Paging group.
    pub group: Option<String>,
    /// Longest normal more-specific from an expected origin (omitted when `None`).
    pub max_length: Option<u8>,
    /// More-specifics are not judged.
    pub ignore_more_specifics: bool,
    /// Carve-out.
    pub ignore: bool,
}

impl Document {
    /// The YAML text.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            let line = line.replace(['\n', '\r'], " ");
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                let _ = writeln!(out, "# {line}");
            }
        }
        if !self.header.is_empty() {
            out.push('\n');
        }
        if !self.groups.is_empty() {
            out.push_str("groups:\n");
            for g in &self.groups {
                let mut fields = vec![format!("severity: {}", g.severity.as_str())];
                if let Some(d) = &g.description {
                    fields.push(format!("description: {}", quoted(d)));
                }
                let _ = writeln!(out, "  {}: {{ {} }}", scalar(&g.name), fields.join(", "));
            }
        }
        if !self.asns.is_empty() {
            out.push_str("asns:\n");
            for a in &self.asns {
                let mut fields = Vec::new();
                if let Some(d) = &a.description {
                    fields.push(format!("description: {}", quoted(d)));
                }
                if !a.upstreams.is_empty() {
                    fields.push(format!("upstreams: {}", asn_list(&a.upstreams)));
                }
                if !a.originates.is_empty() {
                    let list: Vec<String> = a.originates.iter().map(IpNet::to_string).collect();
                    fields.push(format!("originates: [{}]", list.join(", ")));
                }
                let _ = writeln!(out, "  {}: {{ {} }}", a.asn, fields.join(", "));
            }
        }
        out.push_str("prefixes:\n");
        for p in &self.prefixes {
            let _ = writeln!(out, "  {}: {{ {} }}", p.prefix, prefix_fields(p).join(", "));
        }
        out
    }
}

fn prefix_fields(p: &DocPrefix) -> Vec<String> {
    let mut fields = Vec::new();
    if let Some(d) = &p.description {
        fields.push(format!("description: {}", quoted(d)));
    }
    fields.push(format!("origins: {}", asn_list(&p.origins)));
    if let Some(m) = p.max_length {
        fields.push(format!("max_length: {m}"));
    }
    if let Some(g) = &p.group {
        fields.push(format!("group: {}", scalar(g)));
    }
    if p.ignore_more_specifics {
        fields.push("ignore_more_specifics: true".into());
    }
    if p.ignore {
        fields.push("ignore: true".into());
    }
    fields
}

fn asn_list(asns: &[Asn]) -> String {
    let list: Vec<String> = asns.iter().map(Asn::to_string).collect();
    format!("[{}]", list.join(", "))
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

/// A plain scalar when that is unambiguous, otherwise quoted.
fn scalar(text: &str) -> String {
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        text.to_string()
    } else {
        quoted(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::Watchlist;
    use std::path::Path;

    #[test]
    fn the_yaml_loads_back_as_a_watchlist_with_the_same_entries() {
        let doc = Document {
            header: vec!["made by a test".into(), String::new()],
            groups: vec![DocGroup {
                name: "pk".into(),
                severity: Severity::Critical,
                description: Some("Pakistan: \"quotes\", colons: and # hashes".into()),
            }],
            asns: vec![DocAsn {
                asn: 17557,
                description: Some("PKTELECOM-AS-PK Pakistan Telecom, PK".into()),
                upstreams: vec![],
                originates: vec!["208.65.152.0/22".parse().unwrap()],
            }],
            prefixes: vec![
                DocPrefix {
                    prefix: "202.83.160.0/20".parse().unwrap(),
                    description: Some("yes".into()),
                    origins: vec![17557, 45595],
                    group: Some("pk".into()),
                    max_length: Some(24),
                    ignore_more_specifics: false,
                    ignore: false,
                },
                DocPrefix {
                    prefix: "2400:fc00::/32".parse().unwrap(),
                    description: None,
                    origins: vec![],
                    group: None,
                    max_length: None,
                    ignore_more_specifics: true,
                    ignore: true,
                },
            ],
        };
        let text = doc.to_yaml();
        assert!(
            text.starts_with("# made by a test\n#\n\ngroups:\n"),
            "{text}"
        );
        let list = Watchlist::from_texts([(Path::new("t.yaml"), text.as_str())]).unwrap();
        let v4 = list.entry(&"202.83.160.0/20".parse().unwrap()).unwrap();
        assert_eq!(&*v4.origins, &[17557, 45595]);
        assert_eq!(
            (v4.max_length, v4.description.as_deref()),
            (24, Some("yes"))
        );
        let v6 = list.entry(&"2400:fc00::/32".parse().unwrap()).unwrap();
        assert!(v6.origins.is_empty() && v6.ignore && v6.ignore_more_specifics);
        let group = list.group("pk").unwrap();
        assert_eq!(
            group.description.as_deref(),
            Some("Pakistan: \"quotes\", colons: and # hashes")
        );
        assert_eq!(list.asns().count(), 1);
        let ptcl = list.watched_asn(17557).unwrap();
        assert!(
            ptcl.known_origination(&"208.65.153.0/24".parse().unwrap()),
            "more-specific of a known origination"
        );
        assert!(!ptcl.known_origination(&"208.65.156.0/24".parse().unwrap()));
    }
}
