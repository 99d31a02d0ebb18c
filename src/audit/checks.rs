//! The checks of a wheel against one platform, each a small named function: the wheel's
//! Python (tags, Requires-Python) and what the platform's installers do with its `.data`
//! folder, then each side module's file name, unwinding style,
//! bigint, memory, dynamic-linking section, NEEDED libraries, function types and symbols.
//! [`Context::evaluate`] runs them all.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::link::{self, Layout};
use super::python_fit::{self, ExtensionSuffix};
use super::{limited_api, name_list};
use crate::archive::EntryKind;
use crate::policy::{DataScheme, Installer, LoadedPolicy, PolicyFamily, PolicySet, loader};
use crate::rules::{Finding, Rule};
use crate::wasm::WasmInfo;
use crate::wheel::{BinaryKind, Tag, Wheel};

/// What a platform evaluation needs to know of the wheel.
pub(super) struct Context<'a> {
    /// The wheel.
    pub wheel: &'a Wheel,
    /// Its expanded tags.
    pub tags: &'a [Tag],
    /// Its side modules by installed path.
    pub layout: &'a Layout<'a>,
    /// What its modules export to each other.
    pub exports: &'a HashSet<String>,
    /// Rules not to report.
    pub ignore: &'a HashSet<Rule>,
}

/// One side module of the wheel.
pub(super) struct SideModule<'a> {
    /// Its member path.
    path: &'a str,
    /// Its inspection.
    info: &'a WasmInfo,
}

/// A check of the whole wheel against a platform.
type WheelCheck = fn(&Context<'_>, &LoadedPolicy) -> Vec<Finding>;
/// A check of one side module against a platform.
type ModuleCheck = fn(&Context<'_>, &SideModule<'_>, &LoadedPolicy) -> Vec<Finding>;

const WHEEL_CHECKS: [WheelCheck; 4] = [python_tags, requires_python, data_schemes, native_libraries];
const MODULE_CHECKS: [ModuleCheck; 10] = [
    extension_python,
    exception_handling,
    setjmp,
    wasi_runtime_path,
    bigint,
    shared_memory,
    memory64,
    legacy_dylink,
    needed_libraries,
    signatures,
];

/// A finding of `rule` about `module`, when `broken`.
fn when(broken: bool, rule: Rule, module: &SideModule<'_>, message: impl FnOnce() -> String) -> Vec<Finding> {
    if broken { vec![Finding::new(rule, Some(module.path), message())] } else { Vec::new() }
}

/// The platform's tag, for messages.
fn platform(policy: &LoadedPolicy) -> &str {
    policy.canonical_tag().as_str()
}

fn python_tags(cx: &Context<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let python = policy.python();
    if cx.tags.iter().any(|t| python_fit::tag_fits(t, python)) {
        return Vec::new();
    }
    let needed = python_fit::describe_needed(cx.tags);
    let message = format!("its tags need Python {needed}; {} has Python {python}", platform(policy));
    vec![Finding::new(Rule::PythonVersionMismatch, None, message)]
}

fn requires_python(cx: &Context<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let Some(Ok(spec)) = cx.wheel.metadata.parsed().and_then(|m| m.requires_python()) else { return Vec::new() };
    let version = policy.policy().python.version();
    if spec.contains(version) {
        return Vec::new();
    }
    let message = format!("Requires-Python `{spec}` excludes {}'s Python {version}", platform(policy));
    vec![Finding::new(Rule::RequiresPythonExcludes, None, message)]
}

/// Whether a member is something Python imports or loads: a module, bytecode, a binary.
fn is_code(cx: &Context<'_>, member: &str) -> bool {
    [".py", ".pyc", ".so"].iter().any(|ext| member.ends_with(ext)) || cx.wheel.binaries.iter().any(|b| b.path == member)
}

/// Members under `<name>.data/<scheme>/` that some installer of the platform leaves where
/// pip would not: an error for modules and binaries of `purelib`/`platlib`, a warning for the
/// rest.
fn data_schemes(cx: &Context<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let installers = &policy.policy().installers;
    let mut findings = Vec::new();
    for ((dir, scheme), members) in data_dir_members(cx.wheel) {
        let skipping: Vec<String> =
            installers.iter().filter(|i| !i.installs.contains(&scheme)).map(Installer::describe).collect();
        if skipping.is_empty() {
            continue;
        }
        let folder = format!("{dir}/{}/", scheme.as_str());
        let relative: Vec<String> = members.iter().map(|m| m[folder.len()..].to_string()).collect();
        let who = skipping.join(" and ");
        let code = members.iter().any(|m| is_code(cx, m));
        let finding = if scheme.is_library() && code {
            Finding::new(
                Rule::DataSchemeUnimportable,
                Some(&folder),
                format!(
                    "holds {}; {who} leave it in site-packages/{folder}, where Python imports nothing from: move it to the wheel's root (wasmwheel repair does)",
                    name_list(&relative, 6)
                ),
            )
        } else {
            Finding::new(
                Rule::DataSchemeNotInstalled,
                Some(&folder),
                format!(
                    "holds {} that {who} never install{}",
                    name_list(&relative, 6),
                    if skipping.len() == 1 { "s" } else { "" }
                ),
            )
        };
        findings.push(finding);
    }
    findings
}

/// Native binaries the platform's installers load as libraries when they install the wheel,
/// on a platform where that fails the install.
fn native_libraries(cx: &Context<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    if !policy.policy().loader.native_fails_install {
        return Vec::new();
    }
    let native = cx.wheel.binaries.iter().filter_map(|b| match &b.kind {
        BinaryKind::Native(native) => Some((b, native)),
        BinaryKind::Wasm(_) => None,
    });
    native
        .filter(|(b, _)| loader::loads_at_install(&b.path, policy.python()))
        .map(|(b, native)| {
            let message = format!(
                "a native {} binary ({}) that {}'s installers load as a library when they install the wheel, which then fails: remove it, or rename it so it does not end in .so",
                native.format,
                native.arch,
                platform(policy)
            );
            Finding::new(Rule::NativeLibraryLoaded, Some(&b.path), message)
        })
        .collect()
}

/// The files of each `<name>.data/<scheme>/` folder, by folder and scheme.
fn data_dir_members(wheel: &Wheel) -> BTreeMap<(String, DataScheme), Vec<String>> {
    let mut out: BTreeMap<(String, DataScheme), Vec<String>> = BTreeMap::new();
    for member in wheel.archive.members.iter().filter(|m| m.kind == EntryKind::File) {
        let mut parts = member.name.splitn(3, '/');
        if let (Some(dir), Some(scheme), Some(_)) = (parts.next(), parts.next(), parts.next())
            && dir.ends_with(".data")
            && let Some(scheme) = DataScheme::from_folder(scheme)
        {
            out.entry((dir.to_string(), scheme)).or_default().push(member.name.clone());
        }
    }
    out
}

fn extension_python(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let Some(ExtensionSuffix::Versioned { python, .. }) = python_fit::extension_suffix(module.path) else {
        return Vec::new();
    };
    let has = policy.python();
    when(python != has, Rule::PythonVersionMismatch, module, || {
        format!("only Python {python} imports this file name; {} has Python {has}", platform(policy))
    })
}

fn exception_handling(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let Some(built) = module.info.markers.exceptions else { return Vec::new() };
    let has = policy.policy().exceptions;
    when(has != Some(built), Rule::ExceptionHandlingMismatch, module, || {
        let how = match built {
            crate::wasm::UnwindStyle::Js => "JavaScript exceptions (invoke_*)",
            crate::wasm::UnwindStyle::Wasm => "wasm exceptions (-fwasm-exceptions)",
        };
        let unwinds = has.map_or("no", |s| s.describe());
        format!("built with {how}; {} unwinds with {unwinds} exceptions", platform(policy))
    })
}

fn setjmp(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let Some(built) = module.info.markers.setjmp else { return Vec::new() };
    let has = policy.policy().setjmp;
    when(has != Some(built), Rule::SetjmpMismatch, module, || {
        let uses = has.map_or("no", |s| s.describe());
        format!("built with {} setjmp/longjmp; {} uses {uses} setjmp/longjmp", built.describe(), platform(policy))
    })
}

fn wasi_runtime_path(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let p = policy.policy();
    let rejected = p.family == PolicyFamily::Wasi && !p.loader.runtime_path && !module.info.runtime_paths().is_empty();
    when(rejected, Rule::WasiDylinkSubsection, module, || {
        format!(
            "dylink.0 has RUNTIME_PATH, which {}'s linker (wit-component before wasm-tools 1.237) rejects",
            platform(policy)
        )
    })
}

fn bigint(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    when(module.info.markers.i64_legalized && policy.policy().bigint, Rule::NoBigint, module, || {
        format!("built without -sWASM_BIGINT (i64 split for JavaScript); {} passes i64 as BigInt", platform(policy))
    })
}

fn shared_memory(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let shared = module.info.markers.shared_memory;
    when(shared != policy.policy().shared_memory, Rule::SharedMemory, module, || {
        if shared {
            format!("built with threads (shared memory); {} has no pthreads", platform(policy))
        } else {
            format!("built without threads; {}'s memory is shared", platform(policy))
        }
    })
}

fn memory64(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let bits = |wide: bool| if wide { 64 } else { 32 };
    let wide = module.info.markers.memory64;
    when(wide != policy.policy().memory64, Rule::Memory64, module, || {
        format!("{}-bit memory; {}'s is {}-bit", bits(wide), platform(policy), bits(policy.policy().memory64))
    })
}

fn legacy_dylink(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let legacy = module.info.dylink.as_ref().is_some_and(|d| d.legacy);
    when(legacy && !policy.policy().loader.legacy_dylink, Rule::LegacyDylink, module, || {
        let emscripten = policy.policy().emscripten.as_ref().map_or("?".to_string(), ToString::to_string);
        format!(
            "the old `dylink` section; {}'s loader (Emscripten {emscripten}) reads only dylink.0: relink, or `wasmwheel repair` converts it",
            platform(policy)
        )
    })
}

fn needed_libraries(cx: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let Some(installed) = crate::wheel::installed_path(module.path) else { return Vec::new() };
    let p = policy.policy();
    let how = p.loader.describe();
    cx.layout
        .missing_libraries(&p.loader, &installed, &p.provided_libraries)
        .into_iter()
        .map(|(parent, library)| {
            let via = if parent == installed { String::new() } else { format!(" (through {parent})") };
            let message = if p.loader.only_provided {
                format!(
                    "NEEDs {library}{via}, which {}'s linker cannot be given, whether or not the wheel ships it: componentize-py links only extension modules (.cpython-3XY-wasm32-wasi.so, .abi3.so, named by their place, not their file name) and its own libraries ({}), matching NEEDED exactly, and ignores RUNTIME_PATH; link {library} statically into the extension",
                    platform(policy),
                    name_list(&p.provided_libraries, 3)
                )
            } else {
                format!(
                    "NEEDs {library}{via}, which {}'s loader cannot find in {how}; vendor it with `wasmwheel repair -L DIR`",
                    platform(policy)
                )
            };
            Finding::new(Rule::NeededLibraryMissing, Some(module.path), message)
        })
        .collect()
}

fn signatures(_: &Context<'_>, module: &SideModule<'_>, policy: &LoadedPolicy) -> Vec<Finding> {
    let mismatches = link::signature_mismatches(module.info, policy);
    when(!mismatches.is_empty(), Rule::SignatureMismatch, module, || {
        let wide = mismatches.iter().any(|m| m.platform.has_i64());
        let list: Vec<String> =
            mismatches.iter().map(|m| format!("{} as {}, not {}", m.name, m.imported, m.platform)).collect();
        format!(
            "imports {} with types {}'s main module does not have, so linking fails: {}{}",
            if mismatches.len() == 1 { "a function" } else { "functions" },
            platform(policy),
            name_list(&list, 4),
            if wide { " (i64 split in two: built without -sWASM_BIGINT?)" } else { "" }
        )
    })
}

/// One platform's verdict on the wheel, before it is tied to the platform.
pub(super) struct Evaluation {
    /// Why the wheel cannot load there (empty if it can).
    pub reasons: Vec<Finding>,
    /// Each side module's imports the platform does not provide, by member path.
    pub unresolved: Vec<(String, Vec<String>)>,
}

impl Context<'_> {
    /// Why the wheel cannot load on `policy` (empty if it can), and each side module's
    /// unresolved imports there.
    pub fn evaluate(&self, policy: &LoadedPolicy) -> Evaluation {
        let mut reasons: Vec<Finding> = WHEEL_CHECKS.iter().flat_map(|check| check(self, policy)).collect();
        let mut unresolved = Vec::new();
        let side_modules = self.wheel.binaries.iter().filter_map(|b| {
            let info = b.wasm().filter(|i| i.dylink.is_some())?;
            Some(SideModule { path: &b.path, info })
        });
        for module in side_modules {
            reasons.extend(MODULE_CHECKS.iter().flat_map(|check| check(self, &module, policy)));
            let symbols = link::unresolved(module.info, policy, self.exports);
            if !symbols.is_empty() {
                let message = format!(
                    "imports {} symbol(s) {} does not provide: {}",
                    symbols.len(),
                    platform(policy),
                    name_list(&symbols, 10)
                );
                reasons.push(Finding::new(Rule::UnresolvedSymbol, Some(module.path), message));
            }
            unresolved.push((module.path.to_string(), symbols));
        }
        reasons.retain(|r| !self.ignore.contains(&r.rule));
        reasons.sort_by(|a, b| (&a.path, a.rule.id()).cmp(&(&b.path, b.rule.id())));
        reasons.dedup();
        let reasons = reasons.into_iter().map(|r| r.on(policy.canonical_tag())).collect();
        Evaluation { reasons, unresolved }
    }

    /// For a declared platform: binaries whose missing CPython API a newer Python has, which
    /// shows they were built for that newer Python.
    pub fn newer_python_findings(
        &self,
        policy: &LoadedPolicy,
        policies: &PolicySet,
        unresolved: &super::Unresolved,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (path, by_platform) in unresolved {
            let Some(missing) = by_platform.get(policy.canonical_tag()) else { continue };
            let python_api: Vec<String> = missing.iter().filter(|s| limited_api::is_python_api(s)).cloned().collect();
            if python_api.is_empty() {
                continue;
            }
            let newer = policies.family(policy.policy().family.family()).find(|q| {
                q.python() > policy.python() && python_api.iter().all(|s| q.provides(s) || self.exports.contains(s))
            });
            if let Some(q) = newer {
                let (built, has) = (q.python(), policy.python());
                let message = format!(
                    "built for Python {built}, not {has}: it uses CPython API that {has} lacks and {built} has ({})",
                    name_list(&python_api, 6)
                );
                findings
                    .push(Finding::new(Rule::PythonVersionMismatch, Some(path), message).on(policy.canonical_tag()));
            }
        }
        findings
    }
}

/// The rule ids of the errors among `reasons`, sorted and without repeats.
pub fn error_rule_ids(reasons: &[Finding]) -> Vec<String> {
    let errors = reasons.iter().filter(|r| r.severity == crate::rules::Severity::Error);
    errors.map(|r| r.rule.id().to_string()).collect::<BTreeSet<_>>().into_iter().collect()
}
