//! wasmwheel: audit, tag and repair Python wheels built for WebAssembly.
//!
//! The command-line tool is a thin layer over this library:
//! - [`wheel::Wheel`] reads a wheel in one pass: filename, dist-info files, every member, and
//!   every binary found by its magic bytes ([`wasm::inspect`], [`binary::native`]);
//! - [`show`] turns wheels and bare binaries into [`report::WheelReport`]s;
//! - [`audit::audit`] decides, with reasons, on which platforms ([`policy`]) a wheel loads;
//! - [`repair::repair`] vendors the libraries a wheel NEEDs and retags it;
//! - [`tags::tags`] rewrites a wheel's tags; [`wheel::edit`] writes wheels deterministically.

/// Serializes a type as its `Display` text and deserializes it through its `FromStr`, so a
/// value read from JSON is validated like one parsed from the command line.
macro_rules! serde_as_text {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod archive;
pub mod audit;
pub mod binary;
pub mod check;
pub mod config;
pub mod error;
pub mod hash;
pub mod loading;
pub mod lock;
pub mod output;
pub mod pack;
pub mod platform;
pub mod policy;
pub mod pyodide;
pub mod python;
pub mod repair;
pub mod report;
pub mod requirements;
pub mod rules;
pub mod show;
pub mod tags;
pub mod wasm;
pub mod wheel;

pub use error::Error;
