//! # bgpwatch
//!
//! A BGP routing-anomaly monitor for a country's address space. One BGP update travels:
//!
//! ```text
//! source ──RouteUpdate──▶ state ──▶ detect ──Finding──▶ alert ──AlertEvent──▶ sink
//! ```
//!
//! 1. [`source`] reads MRT files, RIS Live JSON and BMP streams (the only module that knows the
//!    parser crate) and produces [`update::RouteUpdate`]s and [`update::FeedEvent`]s.
//! 2. [`watchlist`] says which prefixes are watched and who may originate them; [`as_rel`]
//!    loads AS relationships (CAIDA as-rel) for the route-leak detector.
//! 3. [`state`] keeps, per vantage point, the current route of every prefix touching the
//!    watched space.
//! 4. [`detect`] holds pure detectors: (watchlist, route) in, [`detect::Finding`]s out. No I/O.
//! 5. [`alert`] counts vantage points per typed [`alert::AlertKey`] and runs the lifecycle
//!    open → update → resolved; only it decides what pages.
//! 6. [`sink`] delivers [`alert::AlertEvent`]s (JSON lines today).
//!
//! [`engine`] ties 3-5 together so replay ([`replay`]) and the live service run the same code.
//! [`config`] validates the TOML configuration.
#![deny(missing_docs)]

pub mod update;

pub mod source;

pub mod watchlist;

pub mod as_rel;

pub mod rpki;

pub mod state;

pub mod detect;

pub mod alert;
pub mod store;

pub mod sink;

pub mod engine;

pub mod config;

pub mod replay;

pub mod pipeline;

pub mod http;

pub mod status_page;

pub mod telemetry;
