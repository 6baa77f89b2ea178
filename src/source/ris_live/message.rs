//! The JSON shapes of a RIS Live line, read without copying: strings are borrowed from the line
//! and the AS path is built as it is read.

use crate::update::{AsPath, PathHop};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// One line: a frame (`{"type":"ris_message","data":{...}}`) or a bare data object. Both levels
/// have every data field, so one pass reads either shape; `D` is the nested `data` object
/// ([`Data`]), and a data object's own `data` (RIS Live sends none) is skipped unread.
#[derive(Deserialize)]
pub(super) struct Message<'a, D> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Option<Text<'a>>,
    pub(super) data: Option<D>,
    pub(super) timestamp: Option<f64>,
    #[serde(borrow)]
    pub(super) peer: Option<Text<'a>>,
    pub(super) peer_asn: Option<AsnField>,
    #[serde(borrow)]
    pub(super) host: Option<Text<'a>>,
    pub(super) path: Option<PathField>,
    pub(super) community: Option<Vec<(u32, u32)>>,
    #[serde(borrow)]
    pub(super) announcements: Option<Vec<Announcement<'a>>>,
    #[serde(borrow)]
    pub(super) withdrawals: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub(super) state: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) message: Option<Text<'a>>,
}

/// A RIS Live data object: the `data` of a frame, or a whole line.
pub(super) type Data<'a> = Message<'a, de::IgnoredAny>;

/// A line as read: a frame around a [`Data`], or the data object itself.
pub(super) type Frame<'a> = Message<'a, Data<'a>>;

impl<'a> Frame<'a> {
    /// The line as a bare data object (its nested `data`, if any, set aside).
    pub(super) fn into_data(self) -> Data<'a> {
        Message {
            kind: self.kind,
            data: None,
            timestamp: self.timestamp,
            peer: self.peer,
            peer_asn: self.peer_asn,
            host: self.host,
            path: self.path,
            community: self.community,
            announcements: self.announcements,
            withdrawals: self.withdrawals,
            state: self.state,
            message: self.message,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Announcement<'a> {
    #[serde(borrow)]
    pub(super) next_hop: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) prefixes: Vec<Text<'a>>,
}

/// A JSON string, borrowed from the line (copied only when it has escapes). Serde borrows a
/// `Cow<str>` field only at the top level; inside an `Option` or a `Vec` it would copy.
pub(super) struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// `peer_asn` is a string in RIS Live ("11708"); accept a number too.
pub(super) struct AsnField(pub(super) u32);

impl<'de> Deserialize<'de> for AsnField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AsnField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AS number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AsnField, E> {
                u32::try_from(v)
                    .map(AsnField)
                    .map_err(|_| E::custom("AS number too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AsnField, E> {
                v.trim_start_matches("AS")
                    .parse()
                    .map(AsnField)
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// `path`: the AS path, read straight into its final form.
pub(super) struct PathField(pub(super) AsPath);

impl<'de> Deserialize<'de> for PathField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PathField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PathField, A::Error> {
                let mut hops = Vec::with_capacity(PATH_CAPACITY);
                while let Some(PathElem(hop)) = seq.next_element()? {
                    hops.push(hop);
                }
                Ok(PathField(AsPath::new(hops)))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Room for the AS path as it is read: most paths are shorter.
const PATH_CAPACITY: usize = 16;

/// A path element: an AS number, or a nested list for an AS_SET.
struct PathElem(PathHop);

impl<'de> Deserialize<'de> for PathElem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PathElem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AS number or a list of AS numbers")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PathElem, E> {
                u32::try_from(v)
                    .map(|a| PathElem(PathHop::Asn(a)))
                    .map_err(|_| E::custom("AS number too large"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PathElem, A::Error> {
                let mut set = Vec::new();
                while let Some(asn) = seq.next_element::<u32>()? {
                    set.push(asn);
                }
                Ok(PathElem(PathHop::Set(set.into_boxed_slice())))
            }
        }
        d.deserialize_any(V)
    }
}
