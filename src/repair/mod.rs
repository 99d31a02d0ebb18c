//! `repair`: vendor the side modules a wheel NEEDs into `<dist>.libs/` under hash-mangled
//! names, rewrite NEEDED and RUNTIME_PATH so every Pyodide loader finds them, retag with the
//! canonical platform tag, and write a deterministic wheel, only if it then passes the audit.

pub mod layout;
pub mod vendor;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use globset::GlobSet;
use serde::Serialize;

use crate::audit::{self, AuditOptions};
use crate::platform::{Family, PlatformTag};
use crate::policy::PolicySet;
use crate::policy::loader::{dirname, expand_runtime_path, origin_path};
use crate::rules::{Finding, Rule};
use crate::wasm::rewrite::{self, Edit, is_debug_section};
use crate::wasm::{WasmError, WasmKind};
use crate::wheel::edit::{EditError, WheelEdit};
use crate::wheel::{FilenameError, Tag, Wheel};
use layout::Moved;
use vendor::{Module, Vendor};

/// What the user asked of a repair.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
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

/// Why a wheel cannot be repaired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepairError {
    /// The wheel cannot be read.
    #[error(transparent)]
    Open(#[from] crate::wheel::WheelError),
    /// The target tags are native: there is nothing wasm to repair.
    #[error("tagged for a native platform ({0}), not WebAssembly: nothing to repair")]
    NativeTarget(String),
    /// A NEEDED library neither in the wheel nor in a library folder.
    #[error("{parent} NEEDs {name}, which is not in the wheel; {}", searched_text(searched))]
    NotFound {
        /// The module that NEEDs it.
        parent: String,
        /// The library.
        name: String,
        /// The library folders searched.
        searched: Vec<PathBuf>,
    },
    /// The file found for a library is not a side module.
    #[error("{parent} NEEDs {name}, but {} is not a side module (no dylink.0)", file.display())]
    NotASideModule {
        /// The module that NEEDs it.
        parent: String,
        /// The library.
        name: String,
        /// The file found.
        file: PathBuf,
    },
    /// A library file that cannot be read.
    #[error("{}", file.display())]
    LibraryIo {
        /// The file.
        file: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A library file that is not valid wasm.
    #[error("{}", file.display())]
    LibraryWasm {
        /// The file.
        file: PathBuf,
        /// Why.
        #[source]
        source: WasmError,
    },
    /// A module that cannot be rewritten.
    #[error("{member}")]
    Rewrite {
        /// The member.
        member: String,
        /// Why.
        #[source]
        source: WasmError,
    },
    /// The wheel cannot be rewritten faithfully.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// The target tags do not make a filename.
    #[error("the repaired wheel's tags")]
    Tags(#[source] FilenameError),
}

fn searched_text(searched: &[PathBuf]) -> String {
    if searched.is_empty() {
        "no library folder was given (-L DIR or WASMWHEEL_LIBRARY_PATH)".to_string()
    } else {
        format!("nor in {}", searched.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "))
    }
}

/// A library copied into the wheel.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
pub struct Repair {
    /// The input wheel.
    pub input: String,
    /// The wheel written, or `None` when the repaired wheel would still fail the audit.
    pub output: Option<String>,
    /// Libraries copied in.
    pub vendored: Vec<Vendored>,
    /// Modules rewritten.
    pub rewritten: Vec<Rewritten>,
    /// Members moved from `<name>.data/purelib/` or `platlib/` to the root.
    pub moved: Vec<Moved>,
    /// Members of `<name>.data/scripts/`, `headers/` and `data/`, kept as they are.
    pub kept_data: Vec<String>,
    /// The `python-abi-platform` tags before.
    pub tags_before: Vec<Tag>,
    /// And after.
    pub tags_after: Vec<Tag>,
    /// Canonical tags of the platforms the repaired wheel loads on.
    pub compatible_platforms: Vec<PlatformTag>,
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
    let declared = match &options.platform {
        Some(tag) => vec![tag.clone()],
        None => wheel.filename.platform_tags().to_vec(),
    };
    let mut out: Vec<PlatformTag> = Vec::new();
    for tag in declared {
        let tag = policies.for_tag(&tag).map_or_else(|| tag.canonical(), |policy| policy.canonical_tag().clone());
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// What the repair changed in the wheel.
#[derive(Default)]
struct Changes {
    vendored: Vec<Vendored>,
    rewritten: Vec<Rewritten>,
    moved: Vec<Moved>,
    kept_data: Vec<String>,
}

/// Repairs the wheel at `path` into `out_dir`.
///
/// Input problems (unreadable or hostile wheel, a library found nowhere, a native wheel) are
/// errors; a wheel that would still fail the audit after repair gives a [`Repair`] without an
/// output, and nothing is written.
pub fn repair(
    path: &Path,
    out_dir: &Path,
    policies: &PolicySet,
    options: &RepairOptions,
) -> Result<Repair, RepairError> {
    let wheel = Wheel::open(path)?;
    let (edit, changes) = repaired(&wheel, policies, options)?;
    let result = edit.to_wheel()?;
    let verdict =
        audit::audit(&result, policies, &AuditOptions { ignore: options.ignore.clone(), ..AuditOptions::default() });
    let output = if verdict.has_errors() { None } else { Some(edit.write(out_dir, path)?.display().to_string()) };
    Ok(Repair {
        input: wheel.path.clone(),
        output,
        vendored: changes.vendored,
        rewritten: changes.rewritten,
        moved: changes.moved,
        kept_data: changes.kept_data,
        tags_before: wheel.tags(),
        tags_after: result.tags(),
        compatible_platforms: verdict.compatible_platforms,
        findings: verdict.findings,
    })
}

/// The repaired wheel, in memory, and what changed.
fn repaired(wheel: &Wheel, policies: &PolicySet, options: &RepairOptions) -> Result<(WheelEdit, Changes), RepairError> {
    let tags = target_tags(wheel, policies, options);
    let family = audit::family_of(&tags);
    if family == Family::Native {
        let names: Vec<&str> = tags.iter().map(PlatformTag::as_str).collect();
        return Err(RepairError::NativeTarget(names.join(", ")));
    }
    let mut edit = WheelEdit::new(wheel)?;
    let mut changes = Changes::default();
    (changes.moved, changes.kept_data) = layout::flatten_data(&mut edit)?;
    let now = layout::new_paths(&changes.moved);
    let current = |member: &str| now.get(member).map_or(member, String::as_str).to_string();
    // Every side module of the wheel, by where it is installed, and its member path now.
    let mut members: BTreeMap<String, String> = BTreeMap::new();
    let mut modules = BTreeMap::new();
    for binary in &wheel.binaries {
        let (Some(info), Some(installed)) = (binary.wasm(), crate::wheel::installed_path(&binary.path)) else {
            continue;
        };
        if info.dylink.is_some() {
            let member = current(&binary.path);
            let data = edit.get(&member).unwrap_or_default().to_vec();
            members.insert(installed.clone(), member);
            modules.insert(installed, Module { data, info: info.clone(), source: None });
        }
    }
    let targets: Vec<_> = tags.iter().filter_map(|t| policies.for_tag(t)).collect();
    // A linker that takes only its own libraries (componentize-py for WASI) finds no library a
    // wheel ships: vendoring cannot help, and the audit of the result says why.
    let nothing_found = !targets.is_empty() && targets.iter().all(|p| p.policy().loader.only_provided);
    let keep = |name: &str| {
        nothing_found
            || options.exclude.is_match(name)
            || targets.iter().any(|p| p.policy().provided_libraries.iter().any(|l| l == name))
    };
    let libs_dir = wheel.filename.libs_dir();
    let loaders = targets.iter().map(|p| p.policy().loader.clone()).collect();
    let mut vendor = Vendor::new(modules, &libs_dir, &options.lib_dirs, loaders, &keep);
    vendor.resolve()?;

    for (installed, module) in &vendor.modules {
        let member = members.get(installed).cloned().unwrap_or_else(|| installed.clone());
        let links = links(installed, module, &vendor.dependencies[installed], &libs_dir, family);
        apply(&mut edit, &mut changes, &member, module, links, options.strip)?;
    }
    if options.strip {
        let others = wheel.binaries.iter().filter_map(|b| Some((current(&b.path), b.wasm()?)));
        strip_other_modules(others, &mut edit, &members, &mut changes.rewritten)?;
    }
    let filename = wheel.filename.with_platform_tags(tags).map_err(RepairError::Tags)?;
    if filename != wheel.filename {
        edit.set_tags(filename)?;
    }
    Ok((edit, changes))
}

/// The NEEDED list and RUNTIME_PATH a module gets: vendored libraries by their file names in
/// `<dist>.libs`, and (except for WASI, whose linkers find libraries by name) an
/// `$ORIGIN`-relative entry for every folder a dependency is in that the module's RUNTIME_PATH
/// does not already reach.
fn links(
    installed: &str,
    module: &Module,
    deps: &[vendor::Dependency],
    libs_dir: &str,
    family: Family,
) -> (Vec<String>, Vec<String>) {
    let vendored_prefix = format!("{libs_dir}/");
    let needed = deps
        .iter()
        .map(|d| match &d.target {
            Some(target) if target.starts_with(&vendored_prefix) => {
                target.rsplit('/').next().unwrap_or(target).to_string()
            }
            _ => d.needed.clone(),
        })
        .collect();
    let mut runtime_paths = module.info.runtime_paths().to_vec();
    for target in deps.iter().filter_map(|d| d.target.as_deref()) {
        let dir = dirname(target);
        let reachable =
            dir.is_empty() || runtime_paths.iter().any(|r| expand_runtime_path(r, installed).as_deref() == Some(dir));
        if !reachable && family != Family::Wasi {
            runtime_paths.push(origin_path(installed, dir));
        }
    }
    (needed, runtime_paths)
}

/// Puts `module` into the wheel at `member` with its new NEEDED and RUNTIME_PATH (rewriting it
/// only if something changes), and records what was done.
fn apply(
    edit: &mut WheelEdit,
    changes: &mut Changes,
    member: &str,
    module: &Module,
    (needed, runtime_paths): (Vec<String>, Vec<String>),
    strip: bool,
) -> Result<(), RepairError> {
    let Some(dylink) = module.info.dylink.as_ref() else { return Ok(()) };
    let strip = strip && module.info.custom_sections.iter().any(|s| is_debug_section(s));
    let changed = needed != dylink.needed
        || runtime_paths != dylink.runtime_paths
        || dylink.legacy
        || !dylink.first_section
        || strip;
    if let Some(source) = &module.source {
        changes.vendored.push(Vendored {
            library: source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            source: source.display().to_string(),
            path: member.to_string(),
        });
    }
    if changed {
        let rewrite_edit = Edit { needed: Some(needed.clone()), runtime_paths: Some(runtime_paths.clone()), strip };
        let data = rewrite::rewrite(&module.data, &rewrite_edit)
            .map_err(|source| RepairError::Rewrite { member: member.to_string(), source })?;
        edit.put(member, data);
        changes.rewritten.push(Rewritten {
            path: member.to_string(),
            needed,
            runtime_paths,
            converted_legacy_dylink: dylink.legacy,
            stripped: strip,
        });
    } else if module.source.is_some() {
        // Copied as found: its inspection from the library folder still holds.
        edit.put_inspected(member, module.data.clone(), module.info.clone());
    }
    Ok(())
}

/// `--strip` on the wasm modules (member path, inspection) that are not side modules
/// (commands, plain modules).
fn strip_other_modules<'a>(
    modules: impl Iterator<Item = (String, &'a crate::wasm::WasmInfo)>,
    edit: &mut WheelEdit,
    side_modules: &BTreeMap<String, String>,
    rewritten: &mut Vec<Rewritten>,
) -> Result<(), RepairError> {
    let side: HashSet<&String> = side_modules.values().collect();
    for (path, info) in modules {
        let has_debug = info.custom_sections.iter().any(|s| is_debug_section(s));
        if side.contains(&path) || info.kind == WasmKind::WasmComponent || !has_debug {
            continue;
        }
        let data = edit.get(&path).unwrap_or_default();
        let stripped = rewrite::rewrite(data, &Edit { strip: true, ..Edit::default() })
            .map_err(|source| RepairError::Rewrite { member: path.clone(), source })?;
        edit.put(&path, stripped);
        // Not a side module: no NEEDED or RUNTIME_PATH to report.
        rewritten.push(Rewritten {
            path,
            needed: Vec::new(),
            runtime_paths: Vec::new(),
            converted_legacy_dylink: false,
            stripped: true,
        });
    }
    Ok(())
}
