//! The data every command reports, and its renderings: human text and versioned JSON
//! (`spec/report.schema.json`).

pub mod github;
pub mod json;
pub mod junit;
pub mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::{Audit, PlatformVerdict};
use crate::binary::NativeBinary;
use crate::platform::PlatformTag;
use crate::rules::Finding;
use crate::wasm::{Export, Import, Markers, WasmInfo};
use crate::wheel::{Binary, BinaryKind, Wheel};

/// The version of the JSON report schema (`spec/report.schema.json`).
pub const SCHEMA_VERSION: u32 = 1;

/// How a run ends: the exit status every command reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: nothing wrong.
    Clean,
    /// 1: findings (errors in a wheel, a repair refused, a wheel that does not load).
    Findings,
    /// 2: a usage or input error.
    Error,
}

impl ExitStatus {
    /// The status of a run: 2 if any input failed, else 1 if anything was found, else 0.
    pub fn of(input_errors: bool, findings: bool) -> ExitStatus {
        if input_errors {
            ExitStatus::Error
        } else if findings {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// How to render a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// JSON per `spec/report.schema.json`.
    Json,
    /// GitHub Actions annotations, one per finding.
    Github,
}

/// What wasmwheel says of one input file.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct WheelReport {
    /// The file as given on the command line.
    pub path: String,
    /// Its file name.
    pub filename: String,
    /// The distribution name (METADATA's, else the filename's); `null` for a bare binary.
    pub name: Option<String>,
    /// The version (METADATA's, else the filename's); `null` for a bare binary.
    pub version: Option<String>,
    /// Every `python-abi-platform` tag of the filename.
    pub tags: Vec<String>,
    /// Every binary member.
    pub binaries: Vec<BinaryReport>,
    /// The platform family of the wheel's tags: emscripten, wasi, pure or native (audit only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<crate::platform::Family>,
    /// Canonical tags of every platform the wheel loads on, oldest first (audit only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_platforms: Option<Vec<PlatformTag>>,
    /// Every known platform of the wheel's family, with why it is not compatible (audit only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<PlatformVerdict>>,
    /// Platforms of prerelease policies, not counted among the compatible ones (audit only,
    /// without `--prerelease`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upcoming: Option<Vec<PlatformVerdict>>,
    /// Findings (audit and check only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    /// Real loading in Pyodide, platform by platform (`audit --confirm` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Vec<crate::run::Confirmation>>,
}

/// What wasmwheel says of one binary.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct BinaryReport {
    /// The member path.
    pub path: String,
    /// `emscripten-side-module`, `wasi-shared-object`, `wasi-module`, `wasm-component`,
    /// `wasm-module` or `native`.
    pub kind: String,
    /// For native binaries: format and architecture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeBinary>,
    /// NEEDED libraries.
    pub needed: Vec<String>,
    /// RUNTIME_PATH entries.
    pub runtime_paths: Vec<String>,
    /// Whether the dynamic-linking section is the old `dylink`.
    pub legacy_dylink: bool,
    /// Imports.
    pub imports: Vec<Import>,
    /// Exports.
    pub exports: Vec<Export>,
    /// Build markers.
    pub markers: Markers,
    /// Names of the custom sections, in order.
    pub custom_sections: Vec<String>,
    /// Imports no platform provides, by canonical platform tag (audit only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<BTreeMap<PlatformTag, Vec<String>>>,
}

impl BinaryReport {
    /// The report of one binary, without audit results.
    pub fn new(binary: &Binary) -> BinaryReport {
        match &binary.kind {
            BinaryKind::Wasm(info) => BinaryReport::wasm(&binary.path, info),
            BinaryKind::Native(native) => BinaryReport {
                path: binary.path.clone(),
                kind: "native".into(),
                native: Some(native.clone()),
                needed: Vec::new(),
                runtime_paths: Vec::new(),
                legacy_dylink: false,
                imports: Vec::new(),
                exports: Vec::new(),
                markers: Markers::default(),
                custom_sections: Vec::new(),
                unresolved: None,
            },
        }
    }

    fn wasm(path: &str, info: &WasmInfo) -> BinaryReport {
        let kind = info.kind.as_str().to_string();
        BinaryReport {
            path: path.to_string(),
            kind,
            native: None,
            needed: info.needed().to_vec(),
            runtime_paths: info.runtime_paths().to_vec(),
            legacy_dylink: info.dylink.as_ref().is_some_and(|d| d.legacy),
            imports: info.imports.clone(),
            exports: info.exports.clone(),
            markers: info.markers.clone(),
            custom_sections: info.custom_sections.clone(),
            unresolved: None,
        }
    }
}

impl WheelReport {
    /// The report of a wheel's contents, without audit results.
    pub fn new(wheel: &Wheel) -> WheelReport {
        let metadata = wheel.metadata.parsed();
        WheelReport {
            path: wheel.path.clone(),
            filename: wheel.filename.to_string(),
            name: Some(metadata.and_then(|m| m.name()).unwrap_or(wheel.filename.name.as_str()).to_string()),
            version: Some(metadata.and_then(|m| m.version()).unwrap_or(wheel.filename.version.as_str()).to_string()),
            tags: wheel.tags().iter().map(ToString::to_string).collect(),
            binaries: wheel.binaries.iter().map(BinaryReport::new).collect(),
            family: None,
            compatible_platforms: None,
            platforms: None,
            upcoming: None,
            findings: None,
            confirmed: None,
        }
    }

    /// The report of a wheel with its audit.
    pub fn audited(wheel: &Wheel, audit: Audit) -> WheelReport {
        let mut report = WheelReport::new(wheel);
        let mut unresolved = audit.unresolved;
        for binary in &mut report.binaries {
            binary.unresolved = unresolved.remove(&binary.path);
        }
        report.family = Some(audit.family);
        report.compatible_platforms = Some(audit.compatible_platforms);
        report.platforms = Some(audit.platforms);
        report.upcoming = (!audit.upcoming.is_empty()).then_some(audit.upcoming);
        report.findings = Some(audit.findings);
        report
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().flatten().any(|f| f.severity == crate::rules::Severity::Error)
    }

    /// The report of a bare binary file.
    pub fn bare(path: &str, binary: &Binary) -> WheelReport {
        WheelReport {
            path: path.to_string(),
            filename: binary.path.clone(),
            name: None,
            version: None,
            tags: Vec::new(),
            binaries: vec![BinaryReport::new(binary)],
            family: None,
            compatible_platforms: None,
            platforms: None,
            upcoming: None,
            findings: None,
            confirmed: None,
        }
    }
}
