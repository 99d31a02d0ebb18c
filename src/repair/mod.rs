//! `repair`: vendor the side modules a wheel NEEDs into `<dist>.libs/` under hash-mangled
//! names, rewrite NEEDED and RUNTIME_PATH so every Pyodide loader finds them, retag with the
//! canonical platform tag, and write a deterministic wheel, only if it then passes the audit.

pub mod vendor;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use globset::GlobSet;
use serde::Serialize;

use crate::audit::{self, AuditOptions, resolve};
use crate::error::{Error, Result};
use crate::platform::{Family, PlatformTag};
use crate::policy::PolicySet;
use crate::rules::{Finding, Rule};
use crate::wasm::WasmKind;
use crate::wasm::rewrite::{self, Edit, is_debug_section};
use crate::wheel::Wheel;
use crate::wheel::edit::WheelEdit;
use vendor::{Module, Vendor, origin_path};

/// What the user asked of a repair.
#[derive(Clone, Debug, Default)]
pub struct RepairOptions {
    /// Folders to find libraries in, in order (`-L`, then `WASMWHEEL_LIBRARY_PATH`).
    pub lib_dirs: Vec<PathBuf>,
    /// The platform to tag for (`--plat`); by default the wheel's own, canonically spelled.
    pub platform: Option<PlatformTag>,
    /// NEEDED names to leave alone (`--exclude`).
    pub exclude: GlobSet,
    /// Drop debug information and name sections from every wasm module (`--strip`).
    pub strip: bool,
    /// Rules the audit of the repaired wheel ignores.
    pub ignore: HashSet<Rule>,
}

/// A library copied into the wheel.
#[derive(Clone, Debug, Serialize)]
pub struct Vendored {
    /// The NEEDED name it was found under.
    pub library: String,
    /// The file it was copied from.
    pub source: String,
    /// Its path in the wheel.
    pub path: String,
}

/// A module whose bytes changed.
#[derive(Clone, Debug, Serialize)]
pub struct Rewritten {
    /// Its path in the wheel.
    pub path: String,
    /// Its NEEDED list now.
    pub needed: Vec<String>,
    /// Its RUNTIME_PATH now.
    pub runtime_paths: Vec<String>,
    /// Whether its old `dylink` section was converted to `dylink.0`.
    pub converted_legacy_dylink: bool,
    /// Whether debug sections were dropped.
    pub stripped: bool,
}

/// What a repair did, or why it wrote nothing.
#[derive(Clone, Debug, Serialize)]
pub struct Repair {
    /// The input wheel.
    pub input: String,
    /// The wheel written, or `None` when the repaired wheel would still fail the audit.
    pub output: Option<String>,
    /// Libraries copied in.
    pub vendored: Vec<Vendored>,
    /// Modules rewritten.
    pub rewritten: Vec<Rewritten>,
    /// The `python-abi-platform` tags before.
    pub tags_before: Vec<String>,
    /// And after.
    pub tags_after: Vec<String>,
    /// Canonical tags of the platforms the repaired wheel loads on.
    pub compatible_platforms: Vec<String>,
    /// The audit of the repaired wheel.
    pub findings: Vec<Finding>,
}

impl Repair {
    /// Whether the repair was refused because the result would still have errors.
    pub fn failed(&self) -> bool {
        self.output.is_none()
    }
}

/// The platform tags a repaired wheel gets: `--plat`, or the wheel's own, each in the
/// canonical spelling of the policy it names (tags no policy names are kept as written).
fn target_tags(wheel: &Wheel, policies: &PolicySet, options: &RepairOptions) -> Vec<PlatformTag> {
    let declared = options.platform.iter().cloned().collect::<Vec<_>>();
    let declared = if declared.is_empty() { wheel.filename.platform_tags.clone() } else { declared };
    let mut out: Vec<PlatformTag> = Vec::new();
    for tag in declared {
        let tag = match policies.for_tag(&tag) {
            Some(policy) => policy.canonical_tag().parse().expect("policy tags parse"),
            None => tag.canonical(),
        };
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Repairs the wheel at `path` into `out_dir`.
///
/// Input problems (unreadable or hostile wheel, a library found nowhere, a native wheel) are
/// errors; a wheel that would still fail the audit after repair gives a [`Repair`] without an
/// output, and nothing is written.
pub fn repair(path: &Path, out_dir: &Path, policies: &PolicySet, options: &RepairOptions) -> Result<Repair> {
    let wheel = Wheel::open(path)?;
    let shown = wheel.path.clone();
    let tags = target_tags(&wheel, policies, options);
    let family = audit::family_of(&tags);
    if family == Family::Native {
        return Err(Error::input(
            &shown,
            format!(
                "tagged for a native platform ({}), not WebAssembly: nothing to repair",
                tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let mut edit = WheelEdit::new(&wheel)?;

    // Every side module of the wheel, by where it is installed.
    let mut members: BTreeMap<String, String> = BTreeMap::new();
    let mut modules = BTreeMap::new();
    for binary in &wheel.binaries {
        let (Some(info), Some(installed)) = (binary.wasm(), resolve::installed_path(&binary.path)) else { continue };
        if info.dylink.is_none() {
            continue;
        }
        let data = edit.get(&binary.path).unwrap_or_default().to_vec();
        members.insert(installed.clone(), binary.path.clone());
        modules.insert(installed, Module { data, info: info.clone(), source: None });
    }
    let target_policies: Vec<_> = tags.iter().filter_map(|t| policies.for_tag(t)).collect();
    let keep = |name: &str| {
        options.exclude.is_match(name)
            || target_policies.iter().any(|p| p.policy.provided_libraries.iter().any(|l| l == name))
    };
    let libs_dir = wheel.filename.libs_dir();
    let mut vendor = Vendor::new(modules, &libs_dir, &options.lib_dirs, &keep);
    vendor.resolve(&shown)?;

    let mut vendored = Vec::new();
    let mut rewritten = Vec::new();
    for (installed, module) in &vendor.modules {
        let member = members.get(installed).cloned().unwrap_or_else(|| installed.clone());
        let dylink = module.info.dylink.as_ref().expect("side modules only");
        let deps = &vendor.dependencies[installed];
        let needed: Vec<String> = deps
            .iter()
            .map(|d| match &d.target {
                Some(target) if target.starts_with(&format!("{libs_dir}/")) => {
                    target.rsplit('/').next().unwrap_or(target).to_string()
                }
                _ => d.needed.clone(),
            })
            .collect();
        let mut runtime_paths = dylink.runtime_paths.clone();
        for target in deps.iter().filter_map(|d| d.target.as_deref()) {
            let dir = resolve::dirname(target);
            let entry = origin_path(installed, dir);
            let reachable = dir.is_empty()
                || runtime_paths.iter().any(|r| resolve::expand_runtime_path(r, installed).as_deref() == Some(dir));
            if !reachable && family != Family::Wasi {
                runtime_paths.push(entry);
            }
        }
        let strip = options.strip && module.info.custom_sections.iter().any(|s| is_debug_section(s));
        let changed = needed != dylink.needed
            || runtime_paths != dylink.runtime_paths
            || dylink.legacy
            || !dylink.first_section
            || strip;
        let data = if changed {
            let edit = Edit { needed: Some(needed.clone()), runtime_paths: Some(runtime_paths.clone()), strip };
            rewrite::rewrite(&module.data, &edit).map_err(|e| Error::input(&shown, format!("{member}: {e}")))?
        } else {
            module.data.clone()
        };
        if let Some(source) = &module.source {
            vendored.push(Vendored {
                library: source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                source: source.display().to_string(),
                path: member.clone(),
            });
        }
        if changed {
            rewritten.push(Rewritten {
                path: member.clone(),
                needed,
                runtime_paths,
                converted_legacy_dylink: dylink.legacy,
                stripped: strip,
            });
        }
        if changed {
            edit.put(&member, data);
        } else if module.source.is_some() {
            // Copied as found: its inspection from the library folder still holds.
            edit.put_inspected(&member, data, module.info.clone());
        }
    }
    if options.strip {
        strip_other_modules(&wheel, &mut edit, &members, &mut rewritten, &shown)?;
    }

    let tags_before: Vec<String> = wheel.tags().iter().map(ToString::to_string).collect();
    let mut filename = wheel.filename.clone();
    filename.platform_tags = tags;
    if filename != wheel.filename {
        edit.set_tags(filename)?;
    }
    let repaired = edit.to_wheel()?;
    let verdict = audit::audit(&repaired, policies, &AuditOptions { platform: None, ignore: options.ignore.clone() });
    let failed = verdict.has_errors();
    let output = if failed { None } else { Some(edit.write(out_dir, path)?.display().to_string()) };
    Ok(Repair {
        input: shown,
        output,
        vendored,
        rewritten,
        tags_before,
        tags_after: repaired.tags().iter().map(ToString::to_string).collect(),
        compatible_platforms: verdict.compatible_platforms,
        findings: verdict.findings,
    })
}

/// `--strip` on the wasm modules that are not side modules (commands, plain modules).
fn strip_other_modules(
    wheel: &Wheel,
    edit: &mut WheelEdit,
    side_modules: &BTreeMap<String, String>,
    rewritten: &mut Vec<Rewritten>,
    shown: &str,
) -> Result<()> {
    let side: HashSet<&String> = side_modules.values().collect();
    for binary in &wheel.binaries {
        let Some(info) = binary.wasm() else { continue };
        if side.contains(&binary.path) || info.kind == WasmKind::WasmComponent {
            continue;
        }
        if !info.custom_sections.iter().any(|s| is_debug_section(s)) {
            continue;
        }
        let data = edit.get(&binary.path).unwrap_or_default();
        let stripped = rewrite::rewrite(data, &Edit { strip: true, ..Edit::default() })
            .map_err(|e| Error::input(shown, format!("{}: {e}", binary.path)))?;
        edit.put(&binary.path, stripped);
        // Not a side module: no NEEDED or RUNTIME_PATH to report.
        rewritten.push(Rewritten {
            path: binary.path.clone(),
            needed: Vec::new(),
            runtime_paths: Vec::new(),
            converted_legacy_dylink: false,
            stripped: true,
        });
    }
    Ok(())
}
