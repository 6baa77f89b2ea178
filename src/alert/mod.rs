//! From findings to alerts: the typed [`AlertKey`], thresholds, the lifecycle
//! (open -> update -> resolved) and the [`AlertEvent`] that sinks deliver.
//! Only this module decides what pages.

mod book;
mod event;
mod feed;
mod key;
mod kind;
pub mod paging;
mod summary;
mod visibility;

pub use book::{AlertBook, BookSettings, DEFAULT_MIN_PEERS, DEFAULT_RESOLVE_AFTER_SECS};
pub use event::{format_time, AlertEvent, Evidence, Lifecycle, SamplePath};
pub use feed::FeedAlerts;
pub use key::AlertKey;
pub use kind::{AlertKind, Severity};
pub use visibility::{VisibilityAlerts, VisibilitySettings};
