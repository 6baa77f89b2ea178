//! Silences: operator-declared windows during which matching alerts do not page.

use super::error::Context;
use super::{from_micros, from_micros_opt, micros, Store, StoreError};
use crate::alert::{AlertEvent, AlertKind};
use crate::update::{Asn, Timestamp};
use ipnet::IpNet;
use rusqlite::{params, OptionalExtension, Row};
use std::path::Path;

/// A silence to create. Every matcher given must match; at least one is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    /// Only alerts of this kind.
    pub kind: Option<AlertKind>,
    /// Only alerts whose announced or watched prefix lies inside this one.
    pub prefix: Option<IpNet>,
    /// Only alerts of this paging group.
    pub group: Option<String>,
    /// Only alerts whose offender is this AS.
    pub offender: Option<Asn>,
    /// Start of the window.
    pub starts: Timestamp,
    /// End of the window (exclusive).
    pub ends: Timestamp,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// Its id.
    pub id: i64,
    /// The matchers and window as created.
    pub spec: NewSilence,
    /// When someone ended it early ([`Store::expire_silence`]).
    pub expired_at: Option<Timestamp>,
}

impl Silence {
    /// Whether every matcher of this silence matches the alert (the window is not checked).
    pub fn matches(&self, event: &AlertEvent) -> bool {
        let spec = &self.spec;
        spec.kind.is_none_or(|k| k == event.kind)
            && spec
                .group
                .as_ref()
                .is_none_or(|g| event.group.as_ref() == Some(g))
            && spec.offender.is_none_or(|o| event.offender == Some(o))
            && spec.prefix.is_none_or(|p| {
                [event.prefix, event.watched_prefix]
                    .into_iter()
                    .flatten()
                    .any(|q| p.contains(&q))
            })
    }
}

impl Store {
    /// Stores a silence and returns its id. Refuses a window that ends before it starts and a
    /// silence without matchers.
    pub fn add_silence(&mut self, silence: &NewSilence) -> Result<i64, StoreError> {
        if silence.ends <= silence.starts {
            return Err(StoreError::EmptyWindow {
                starts: silence.starts,
                ends: silence.ends,
            });
        }
        let any_matcher = silence.kind.is_some()
            || silence.prefix.is_some()
            || silence.group.is_some()
            || silence.offender.is_some();
        if !any_matcher {
            return Err(StoreError::SilenceMatchesAll);
        }
        self.conn
            .execute(
                "INSERT INTO silences (kind, prefix, group_name, offender, starts_at, ends_at,
                     created_by, comment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    silence.kind.map(AlertKind::as_str),
                    silence.prefix.map(|p| p.to_string()),
                    silence.group,
                    silence.offender,
                    micros(silence.starts),
                    micros(silence.ends),
                    silence.created_by,
                    silence.comment,
                ],
            )
            .ctx(&self.path, "store a silence")?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Silences in force at `at`: started, not ended, not expired.
    pub fn active_silences(&self, at: Timestamp) -> Result<Vec<Silence>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SELECT_SILENCE} WHERE starts_at <= ?1 AND ends_at > ?1
                   AND (expired_at IS NULL OR expired_at > ?1) ORDER BY id"
            ))
            .ctx(&self.path, "list active silences")?;
        let rows = stmt
            .query_map([micros(at)], SilenceRow::read)
            .ctx(&self.path, "list active silences")?;
        let mut out = Vec::new();
        for row in rows {
            out.push(
                row.ctx(&self.path, "list active silences")?
                    .decode(&self.path)?,
            );
        }
        Ok(out)
    }

    /// One silence by id.
    pub fn silence(&self, id: i64) -> Result<Option<Silence>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("{SELECT_SILENCE} WHERE id = ?1"),
                [id],
                SilenceRow::read,
            )
            .optional()
            .ctx(&self.path, "read a silence")?;
        row.map(|r| r.decode(&self.path)).transpose()
    }

    /// Ends a silence at `at`, before its planned end. Returns `false` if there is no such
    /// silence or it had already expired.
    pub fn expire_silence(&mut self, id: i64, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE silences SET expired_at = ?2 WHERE id = ?1 AND expired_at IS NULL",
                params![id, micros(at)],
            )
            .ctx(&self.path, "expire a silence")?;
        Ok(changed == 1)
    }
}

const SELECT_SILENCE: &str = "SELECT id, kind, prefix, group_name, offender, starts_at, ends_at,
        created_by, comment, expired_at FROM silences";

/// One row of [`SELECT_SILENCE`], before its text columns are parsed.
struct SilenceRow {
    id: i64,
    kind: Option<String>,
    prefix: Option<String>,
    group: Option<String>,
    offender: Option<Asn>,
    starts: i64,
    ends: i64,
    created_by: String,
    comment: String,
    expired_at: Option<i64>,
}

impl SilenceRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<SilenceRow> {
        Ok(SilenceRow {
            id: row.get(0)?,
            kind: row.get(1)?,
            prefix: row.get(2)?,
            group: row.get(3)?,
            offender: row.get(4)?,
            starts: row.get(5)?,
            ends: row.get(6)?,
            created_by: row.get(7)?,
            comment: row.get(8)?,
            expired_at: row.get(9)?,
        })
    }

    fn decode(self, path: &Path) -> Result<Silence, StoreError> {
        let bad = |what: &str, detail: String| StoreError::Decode {
            path: path.to_path_buf(),
            what: format!("{what} of silence {}", self.id),
            detail,
        };
        let kind = self
            .kind
            .as_deref()
            .map(|k| {
                serde_json::from_value::<AlertKind>(serde_json::Value::from(k))
                    .map_err(|e| bad("kind", e.to_string()))
            })
            .transpose()?;
        let prefix = self
            .prefix
            .as_deref()
            .map(|p| p.parse::<IpNet>().map_err(|e| bad("prefix", e.to_string())))
            .transpose()?;
        Ok(Silence {
            id: self.id,
            spec: NewSilence {
                kind,
                prefix,
                group: self.group,
                offender: self.offender,
                starts: from_micros(path, "silences.starts_at", self.starts)?,
                ends: from_micros(path, "silences.ends_at", self.ends)?,
                created_by: self.created_by,
                comment: self.comment,
            },
            expired_at: from_micros_opt(path, "silences.expired_at", self.expired_at)?,
        })
    }
}
