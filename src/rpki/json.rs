//! The VRP JSON format of rpki-client, Routinator and stayrtr:
//! `{"roas": [{"asn": "AS64500" | 64500, "prefix": "…", "maxLength": 24, "ta": "…"}], …}`.
//! Entries are converted one at a time as the parser streams through the array, so a large
//! file never exists twice in memory; bad entries are collected with their index and line.

use super::error::{RejectedRoa, RoaProblem, VrpFileError};
use super::vrps::{Vrp, Vrps};
use crate::update::Asn;
use ipnet::IpNet;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// The outcome of reading one VRP file: the good entries, and the bad ones skipped.
#[derive(Debug, Clone, Default)]
pub struct VrpLoad {
    /// The VRPs of every good entry (duplicates stored once).
    pub vrps: Vrps,
    /// Entries in the `roas` array, good and bad.
    pub entries: usize,
    /// The entries skipped, in file order.
    pub rejected: Vec<RejectedRoa>,
}

/// Reads and parses the VRP file at `path`.
pub fn load_vrp_file(path: &Path) -> Result<VrpLoad, VrpFileError> {
    let bytes = std::fs::read(path).map_err(|source| VrpFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_vrp_json(&bytes, path)
}

/// Parses VRP JSON; `path` only names the file in errors.
pub fn parse_vrp_json(bytes: &[u8], path: &Path) -> Result<VrpLoad, VrpFileError> {
    let mut load = VrpLoad::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let saw_roas = Document { load: &mut load }
        .deserialize(&mut de)
        .and_then(|saw| de.end().map(|()| saw))
        .map_err(|source| match source.classify() {
            serde_json::error::Category::Data => VrpFileError::NotVrps {
                path: path.to_owned(),
                source,
            },
            _ => VrpFileError::NotJson {
                path: path.to_owned(),
                source,
            },
        })?;
    if !saw_roas {
        return Err(VrpFileError::NoRoas {
            path: path.to_owned(),
        });
    }
    if !load.rejected.is_empty() {
        let wanted: Vec<usize> = load.rejected.iter().map(|r| r.index).collect();
        for (rejected, line) in load.rejected.iter_mut().zip(roa_lines(bytes, &wanted)) {
            rejected.line = line;
        }
    }
    Ok(load)
}

/// The top-level object: `roas` is streamed, every other member skipped.
struct Document<'a> {
    load: &'a mut VrpLoad,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    /// True when a `roas` member was present.
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<bool, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a \"roas\" array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut saw_roas = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "roas" {
                map.next_value_seed(Roas {
                    load: &mut *self.load,
                })?;
                saw_roas = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(saw_roas)
    }
}

/// The `roas` array, converted entry by entry.
struct Roas<'a> {
    load: &'a mut VrpLoad,
}

impl<'de> DeserializeSeed<'de> for Roas<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Roas<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of ROA objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Value>()? {
            let index = self.load.entries;
            self.load.entries += 1;
            match roa(&entry) {
                Ok(vrp) => {
                    self.load.vrps.insert(vrp);
                }
                Err(problem) => self.load.rejected.push(RejectedRoa {
                    index,
                    line: None,
                    problem,
                }),
            }
        }
        Ok(())
    }
}

/// Converts one entry, or says what is wrong with it.
fn roa(entry: &Value) -> Result<Vrp, RoaProblem> {
    let object = entry.as_object().ok_or_else(|| RoaProblem::NotAnObject {
        value: entry.to_string(),
    })?;
    let field = |field: &'static str| object.get(field).ok_or(RoaProblem::Missing { field });
    let prefix = prefix(field("prefix")?)?;
    let max_length = max_length(field("maxLength")?, &prefix)?;
    let asn = asn(field("asn")?)?;
    Ok(Vrp {
        prefix,
        max_length,
        asn,
    })
}

fn prefix(value: &Value) -> Result<IpNet, RoaProblem> {
    let bad = || RoaProblem::BadPrefix {
        value: value.to_string(),
    };
    let prefix: IpNet = value.as_str().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    if prefix.trunc() != prefix {
        return Err(RoaProblem::HostBits {
            prefix: prefix.to_string(),
            network: prefix.trunc().to_string(),
        });
    }
    Ok(prefix)
}

fn max_length(value: &Value, prefix: &IpNet) -> Result<u8, RoaProblem> {
    let max_length = value.as_u64().ok_or_else(|| RoaProblem::BadMaxLength {
        value: value.to_string(),
    })?;
    let family_max = prefix.max_prefix_len();
    if max_length > u64::from(family_max) {
        return Err(RoaProblem::MaxLengthOutOfRange {
            max_length,
            prefix: prefix.to_string(),
            family_max,
        });
    }
    let max_length = max_length as u8; // in range: at most 128
    if max_length < prefix.prefix_len() {
        return Err(RoaProblem::MaxLengthShorter {
            max_length,
            prefix: prefix.to_string(),
        });
    }
    Ok(max_length)
}

/// `64500`, `"AS64500"`, `"as64500"` or `"64500"`.
fn asn(value: &Value) -> Result<Asn, RoaProblem> {
    let parsed = match value {
        Value::Number(n) => n.as_u64().and_then(|n| Asn::try_from(n).ok()),
        Value::String(s) => {
            let digits = s
                .strip_prefix("AS")
                .or_else(|| s.strip_prefix("as"))
                .unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse().ok()
            } else {
                None
            }
        }
        _ => None,
    };
    parsed.ok_or_else(|| RoaProblem::BadAsn {
        value: value.to_string(),
    })
}

/// The line (from 1) where each of the `wanted` entries (ascending indexes) of the top-level
/// `roas` array starts: one pass over the text, tracking strings and nesting depth.
fn roa_lines(text: &[u8], wanted: &[usize]) -> Vec<Option<usize>> {
    let mut lines = vec![None; wanted.len()];
    let mut next_wanted = 0;
    let (mut line, mut depth) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    let mut string_start = 0;
    let mut last_key: &[u8] = b"";
    let mut after_roas_colon = false;
    let mut in_roas = false;
    let (mut index, mut element_pending) = (0usize, false);
    for (at, &byte) in text.iter().enumerate() {
        if byte == b'\n' {
            line += 1;
        }
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    in_string = false;
                    if depth == 1 {
                        last_key = &text[string_start..at];
                    }
                }
                _ => {}
            }
            continue;
        }
        if byte.is_ascii_whitespace() {
            continue;
        }
        if in_roas && element_pending && depth == 2 && byte != b']' {
            element_pending = false;
            while next_wanted < wanted.len() && wanted[next_wanted] == index {
                lines[next_wanted] = Some(line);
                next_wanted += 1;
            }
            if next_wanted == wanted.len() {
                break;
            }
        }
        if after_roas_colon {
            after_roas_colon = false;
            if byte == b'[' && depth == 1 {
                in_roas = true;
                element_pending = true;
            }
        }
        match byte {
            b'"' => {
                in_string = true;
                string_start = at + 1;
            }
            b':' if depth == 1 => after_roas_colon = last_key == b"roas",
            b',' if in_roas && depth == 2 => {
                index += 1;
                element_pending = true;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if in_roas && depth < 2 {
                    break;
                }
            }
            _ => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "test.json";

    fn parse(text: &str) -> Result<VrpLoad, VrpFileError> {
        parse_vrp_json(text.as_bytes(), Path::new(PATH))
    }

    #[test]
    fn rpki_client_routinator_and_stayrtr_shapes_load() {
        let load = parse(
            r#"{"metadata": {"buildtime": "2026-11-22T00:00:00Z", "vrps": 3},
                "roas": [
                  {"asn": "AS64500", "prefix": "203.0.113.0/24", "maxLength": 24, "ta": "ripe"},
                  {"asn": 64501, "prefix": "198.51.100.0/22", "maxLength": 24, "ta": "apnic",
                   "expires": 1790000000},
                  {"prefix": "2001:db8::/32", "maxLength": 48, "asn": "as0"}
                ],
                "bgpsec_keys": [], "aspas": []}"#,
        )
        .expect("loads");
        assert_eq!((load.entries, load.vrps.len()), (3, 3));
        assert!(load.rejected.is_empty());
        let asns: Vec<Asn> = load.vrps.iter().map(|v| v.asn).collect();
        assert_eq!(asns, [64501, 64500, 0]);
    }

    #[test]
    fn bad_entries_are_reported_by_index_and_line_and_the_rest_loads() {
        let text = r#"{"roas": [
  {"asn": "AS64500", "prefix": "203.0.113.0/24", "maxLength": 24},
  {"asn": "AS64502", "prefix": "198.51.100.0/33", "maxLength": 24},
  {"asn": "AS64503", "prefix": "192.0.2.0/24", "maxLength": 20},
  {"asn": "AS64503", "prefix": "192.0.2.0/24", "maxLength": 33},
  {"asn": "ASx", "prefix": "192.0.2.0/25", "maxLength": 25},
  {"asn": 4294967296, "prefix": "192.0.2.0/25", "maxLength": 25},
  {"asn": "AS64504", "prefix": "192.0.2.1/24", "maxLength": 24},
  {"asn": "AS64505", "prefix": "192.0.2.0/24"},
  "192.0.2.0/24",
  {"asn": "AS64506", "prefix": "2001:db8::/32", "maxLength": "48"},
  {"asn": 64507, "prefix": "2001:db8::/32", "maxLength": 48}
]}"#;
        let load = parse(text).expect("loads");
        assert_eq!((load.entries, load.vrps.len()), (11, 2));
        let got: Vec<String> = load.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                r#"roas[1] (line 3): bad prefix "198.51.100.0/33": expected a string like "192.0.2.0/24""#,
                "roas[2] (line 4): maxLength 20 is shorter than the prefix 192.0.2.0/24",
                "roas[3] (line 5): maxLength 33 is out of range for 192.0.2.0/24 (at most 32)",
                r#"roas[4] (line 6): bad asn "ASx": expected 64500 or "AS64500""#,
                r#"roas[5] (line 7): bad asn 4294967296: expected 64500 or "AS64500""#,
                "roas[6] (line 8): prefix 192.0.2.1/24 has host bits set (did you mean 192.0.2.0/24?)",
                r#"roas[7] (line 9): missing "maxLength""#,
                r#"roas[8] (line 10): not an object: "192.0.2.0/24""#,
                r#"roas[9] (line 11): bad maxLength "48": expected an integer"#,
            ]
        );
    }

    #[test]
    fn lines_are_found_past_other_members_and_tricky_strings() {
        let text = "{\"metadata\": {\"roas\": [1, 2], \"x\": \"a,\\\"[\"},\n \"roas\": [\n\
                    {\"asn\": 1, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 24, \"ta\": \"],\"},\n\
                    {\"asn\": 1, \"prefix\": \"bad\", \"maxLength\": 24}]}";
        let load = parse(text).expect("loads");
        assert_eq!(load.rejected.len(), 1);
        assert_eq!(
            (load.rejected[0].index, load.rejected[0].line),
            (1, Some(4))
        );
    }

    #[test]
    fn a_file_that_is_not_json_names_the_file() {
        let err = parse("<html>502 Bad Gateway</html>").expect_err("not JSON");
        assert!(matches!(err, VrpFileError::NotJson { .. }));
        assert!(
            err.to_string()
                .starts_with("VRP file test.json is not JSON"),
            "{err}"
        );
        let truncated = parse(r#"{"roas": [{"asn": 1, "prefix": "192.0.2.0/24""#);
        assert!(matches!(truncated, Err(VrpFileError::NotJson { .. })));
    }

    #[test]
    fn json_that_is_not_a_vrp_document_is_refused() {
        assert!(matches!(parse("[]"), Err(VrpFileError::NotVrps { .. })));
        assert!(matches!(
            parse(r#"{"roas": {}}"#),
            Err(VrpFileError::NotVrps { .. })
        ));
        let err = parse(r#"{"vrps": []}"#).expect_err("no roas");
        assert!(matches!(err, VrpFileError::NoRoas { .. }));
        assert!(err.to_string().contains("no \"roas\" array"), "{err}");
    }

    #[test]
    fn an_empty_roas_array_is_an_empty_set() {
        let load = parse(r#"{"roas": [ ], "metadata": {}}"#).expect("loads");
        assert!(load.vrps.is_empty() && load.rejected.is_empty());
    }
}
