//! wasmwheel: audit, tag and repair Python wheels built for WebAssembly.
//!
//! The command-line tool is a thin layer over this library:
//! - [`wheel::Wheel`] reads a wheel in one pass: filename, dist-info files, every member, and
//!   every binary found by its magic bytes ([`wasm::inspect`], [`binary::native`]);
//! - [`show`] turns wheels and bare binaries into [`report::WheelReport`]s;
//! - [`audit::audit`] decides, with reasons, on which platforms ([`policy`]) a wheel loads;
//! - [`repair::repair`] vendors the libraries a wheel NEEDs and retags it;
//! - [`tags::tags`] rewrites a wheel's tags; [`wheel::edit`] writes wheels deterministically.

pub mod archive;
pub mod audit;
pub mod binary;
pub mod check;
pub mod config;
pub mod error;
pub mod output;
pub mod platform;
pub mod policy;
pub mod repair;
pub mod report;
pub mod rules;
pub mod show;
pub mod tags;
pub mod wasm;
pub mod wheel;

pub use error::{Error, Result};
