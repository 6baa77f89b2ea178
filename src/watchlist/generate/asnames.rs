//! AS names for the `asns:` descriptions, from pyasn's `asnames.json(.gz)`:
//! `{"17557": "PKTELECOM-AS-PK Pakistan Telecom Company Limited, PK", ...}`.

use super::error::GenerateError;
use crate::update::Asn;
use std::collections::BTreeMap;
use std::path::Path;

/// AS number to name and description.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsNames {
    names: BTreeMap<Asn, String>,
}

impl AsNames {
    /// Reads an AS-names JSON file (plain, gzip or bzip2).
    pub fn read(path: &Path) -> Result<AsNames, GenerateError> {
        let opened = crate::source::open(path)?;
        AsNames::parse(opened.reader, path)
    }

    /// Parses the JSON object from `reader`; `path` names it in errors.
    pub fn parse(reader: impl std::io::Read, path: &Path) -> Result<AsNames, GenerateError> {
        let error = |reason: String| GenerateError::AsNames {
            path: path.to_path_buf(),
            reason,
        };
        let raw: BTreeMap<String, String> =
            serde_json::from_reader(reader).map_err(|e| error(e.to_string()))?;
        let mut names = BTreeMap::new();
        for (key, name) in raw {
            let digits = key.strip_prefix("AS").unwrap_or(&key);
            let asn: Asn = digits
                .parse()
                .map_err(|_| error(format!("key `{key}` is not an AS number")))?;
            names.insert(asn, name.trim().to_string());
        }
        Ok(AsNames { names })
    }

    /// The name of `asn`, when known.
    pub fn get(&self, asn: Asn) -> Option<&str> {
        self.names.get(&asn).map(String::as_str)
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keyed_by_as_number() {
        let json = r#"{"17557": "PKTELECOM-AS-PK Pakistan Telecom Company Limited, PK", "AS9541": "CYBERNET-AP, PK"}"#;
        let names = AsNames::parse(json.as_bytes(), Path::new("n.json")).unwrap();
        assert_eq!(names.get(9541), Some("CYBERNET-AP, PK"));
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn a_non_numeric_key_is_an_error_naming_it() {
        let err = AsNames::parse(r#"{"x1": "y"}"#.as_bytes(), Path::new("n.json")).unwrap_err();
        assert!(err.to_string().contains("`x1`"), "{err}");
    }
}
