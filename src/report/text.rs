//! The human-readable rendering.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{BinaryReport, WheelReport};
use crate::policy::LoadedPolicy;
use crate::wasm::{Markers, UnwindStyle};

/// Names the build markers that are set, for one line of text.
pub fn markers_line(m: &Markers) -> String {
    let flags = [
        (m.exceptions == Some(UnwindStyle::Js), "JS exceptions"),
        (m.exceptions == Some(UnwindStyle::Wasm), "wasm exceptions"),
        (m.setjmp == Some(UnwindStyle::Js), "JS setjmp"),
        (m.setjmp == Some(UnwindStyle::Wasm), "wasm setjmp"),
        (m.i64_legalized, "i64 legalized (no bigint)"),
        (m.shared_memory, "shared memory"),
        (m.memory64, "memory64"),
        (m.wasi_preview1, "WASI preview 1"),
        (m.wasi_preview2, "WASI preview 2"),
    ];
    let set: Vec<&str> = flags.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
    if set.is_empty() { "none".into() } else { set.join(", ") }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "(none)".into() } else { items.join(", ") }
}

/// Renders one binary; with `verbose`, every import and export.
pub fn binary(out: &mut dyn Write, b: &BinaryReport, verbose: bool) -> io::Result<()> {
    if let Some(native) = &b.native {
        return writeln!(out, "  {}: native {} binary ({})", b.path, native.format, native.arch);
    }
    writeln!(out, "  {}: {}", b.path, b.kind)?;
    writeln!(out, "    needed: {}", list_or_none(&b.needed))?;
    if !b.runtime_paths.is_empty() {
        writeln!(out, "    runtime path: {}", b.runtime_paths.join(", "))?;
    }
    if b.legacy_dylink {
        writeln!(out, "    dynamic linking: old `dylink` section")?;
    }
    if !b.markers.python_entry_points.is_empty() {
        writeln!(out, "    entry points: {}", b.markers.python_entry_points.join(", "))?;
    }
    writeln!(out, "    markers: {}", markers_line(&b.markers))?;
    let mut by_module: BTreeMap<&str, usize> = BTreeMap::new();
    for import in &b.imports {
        *by_module.entry(import.module.as_str()).or_default() += 1;
    }
    let summary: Vec<String> = by_module
        .iter()
        .map(|(module, n)| if module.is_empty() { format!("{n} component") } else { format!("{module} {n}") })
        .collect();
    writeln!(out, "    imports: {} ({})", b.imports.len(), summary.join(", "))?;
    writeln!(out, "    exports: {}", b.exports.len())?;
    if verbose {
        for i in &b.imports {
            let module = if i.module.is_empty() { String::new() } else { format!("{}.", i.module) };
            writeln!(out, "      import {:<6} {module}{}", i.item.kind(), i.name)?;
        }
        for e in &b.exports {
            writeln!(out, "      export {:<6} {}", e.kind, e.name)?;
        }
    }
    Ok(())
}

/// Renders what `show` says of one file, imports and exports counted.
pub fn show_brief(out: &mut dyn Write, report: &WheelReport) -> io::Result<()> {
    show(out, report, false)
}

/// Renders what `show -v` says of one file, every import and export listed.
pub fn show_verbose(out: &mut dyn Write, report: &WheelReport) -> io::Result<()> {
    show(out, report, true)
}

fn show(out: &mut dyn Write, report: &WheelReport, verbose: bool) -> io::Result<()> {
    writeln!(out, "{}", report.filename)?;
    if let (Some(name), Some(version)) = (&report.name, &report.version) {
        writeln!(out, "  distribution: {name} {version}")?;
        writeln!(out, "  tags: {}", list_or_none(&report.tags))?;
    }
    if report.binaries.is_empty() {
        writeln!(out, "  no binaries (a pure wheel)")?;
    }
    for b in &report.binaries {
        binary(out, b, verbose)?;
    }
    findings(out, report.findings.as_deref().unwrap_or_default())
}

/// Renders the table of `policy list`.
pub fn policies(out: &mut dyn Write, policies: &[LoadedPolicy]) -> io::Result<()> {
    writeln!(
        out,
        "{:<20} {:<26} {:<9} {:<11} {:<10} {:<8} {:>8}  tags",
        "policy", "from", "python", "emscripten", "exceptions", "rpath", "symbols"
    )?;
    for p in policies {
        let p = p.policy();
        writeln!(
            out,
            "{:<20} {:<26} {:<9} {:<11} {:<10} {:<8} {:>8}  {}",
            p.name,
            format!("{} {}", p.source.runtime, p.source.version),
            p.python.to_string(),
            p.emscripten.as_ref().map_or_else(|| "-".to_string(), ToString::to_string),
            p.exceptions.map_or("none", |s| match s {
                crate::wasm::UnwindStyle::Js => "js",
                crate::wasm::UnwindStyle::Wasm => "wasm",
            }),
            if p.loader.runtime_path { "honoured" } else { "ignored" },
            p.symbols.len(),
            p.platform_tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        )?;
    }
    Ok(())
}

/// `n thing(s)` with the right plural.
fn count(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}

/// Renders findings, one per line: `error[rule] path [platform]: message`.
pub fn findings(out: &mut dyn Write, findings: &[crate::rules::Finding]) -> io::Result<()> {
    for f in findings {
        let path = f.path.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
        let platform = f.platform.as_ref().map(|p| format!(" [{p}]")).unwrap_or_default();
        writeln!(out, "  {}[{}]{path}{platform}: {}", f.severity, f.rule, f.message)?;
    }
    Ok(())
}

/// Renders what `audit` (and `check`) say of one wheel.
pub fn audit(out: &mut dyn Write, report: &WheelReport) -> io::Result<()> {
    let all = report.findings.as_deref().unwrap_or_default();
    let errors = all.iter().filter(|f| f.severity == crate::rules::Severity::Error).count();
    let warnings = all.iter().filter(|f| f.severity == crate::rules::Severity::Warning).count();
    let verdict = match (errors, warnings) {
        (0, 0) => "OK".to_string(),
        (0, w) => format!("OK, {}", count(w, "warning")),
        (e, 0) => count(e, "error"),
        (e, w) => format!("{}, {}", count(e, "error"), count(w, "warning")),
    };
    writeln!(out, "{}: {verdict}", report.filename)?;
    if let Some(platforms) = report.platforms.as_ref().filter(|p| !p.is_empty()) {
        let compatible = report.compatible_platforms.as_deref().unwrap_or_default();
        writeln!(out, "  compatible: {}", platform_list(compatible))?;
        for verdict in platforms.iter().filter(|v| !v.compatible) {
            let rules = crate::audit::error_rule_ids(&verdict.reasons);
            writeln!(out, "  not {}: {}", verdict.platform, rules.join(", "))?;
        }
    }
    for verdict in report.upcoming.iter().flatten() {
        let rules = crate::audit::error_rule_ids(&verdict.reasons);
        let how = if verdict.compatible { "compatible".to_string() } else { format!("not: {}", rules.join(", ")) };
        writeln!(out, "  upcoming {} (a prerelease; --prerelease counts it): {how}", verdict.platform)?;
    }
    for c in report.confirmed.iter().flatten() {
        let real = match (&c.not_run, c.loads) {
            (Some(why), _) => format!("not run: {why}"),
            (None, true) => "loads".to_string(),
            (None, false) => format!("fails: {}", c.error.as_deref().unwrap_or("?")),
        };
        let host = if c.runtime == "wasmtime" { "the WASI host" } else { "Pyodide" };
        writeln!(out, "  in {host} {} ({}, in {}): {real}", c.pyodide, c.platform, c.runtime)?;
    }
    findings(out, all)
}

/// Renders what a resolution took beside the wheels given, what it could not meet, and where
/// micropip would do otherwise.
pub fn resolution(out: &mut dyn Write, resolution: &crate::resolve::ResolutionReport) -> io::Result<()> {
    use crate::resolve::Origin;
    for p in resolution.packages.iter().filter(|p| p.source != Origin::Given) {
        let from = match (&p.source, &p.index) {
            (Origin::Index, Some(index)) => format!("from {index}"),
            _ => "from the release".to_string(),
        };
        writeln!(out, "  with {} {} {from}, for {}", p.name, p.version, p.requested_by.join(", "))?;
    }
    for u in &resolution.unmet {
        writeln!(out, "  error: `{}` (asked by {}) is met by no source:", u.requirement, u.requested_by)?;
        for had in &u.sources {
            writeln!(out, "    {had}")?;
        }
    }
    for c in &resolution.conflicts {
        writeln!(
            out,
            "  error: `{}` (asked by {}) conflicts with {}, chosen for {}",
            c.requirement,
            c.requested_by,
            c.chosen,
            c.chosen_by.join(", ")
        )?;
    }
    for note in &resolution.notes {
        writeln!(out, "  note: {note}")?;
    }
    Ok(())
}

/// Renders one release run of `test`.
pub fn test_run(out: &mut dyn Write, run: &crate::run::ReleaseRun) -> io::Result<()> {
    writeln!(
        out,
        "{} {} ({}, Python {}, in {}): {} (start {} ms, install {} ms)",
        if run.runtime == "wasmtime" { "WASI host" } else { "Pyodide" },
        run.pyodide,
        run.platform,
        run.python,
        run.runtime,
        if run.ok {
            "ok"
        } else if run.not_run.is_some() {
            "NOT RUN"
        } else {
            "FAILED"
        },
        run.startup_ms,
        run.install.ms
    )?;
    match (&run.not_run, &run.install.error) {
        (Some(why), _) => writeln!(out, "  not run: {why}")?,
        (None, Some(error)) => writeln!(out, "  install failed: {error}")?,
        (None, None) => {}
    }
    resolution(out, &run.resolution)?;
    for wheel in &run.wheels {
        let label = if wheel.source == crate::resolve::Origin::Index { " (from the index)" } else { "" };
        writeln!(out, "  {}{label}", wheel.wheel)?;
        if let Some(expected) = &wheel.audit {
            let errors: Vec<&crate::rules::Finding> =
                expected.reasons.iter().filter(|r| r.severity == crate::rules::Severity::Error).collect();
            if expected.compatible {
                writeln!(out, "    audit: compatible")?;
            } else {
                writeln!(out, "    audit: not compatible")?;
            }
            for reason in errors {
                let path = reason.path.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
                writeln!(out, "      {}[{}]{path}: {}", reason.severity, reason.rule, reason.message)?;
            }
        }
        for requirement in &wheel.unmet_requirements {
            writeln!(out, "    requires `{requirement}`, which no source meets")?;
        }
    }
    for import in &run.imports {
        match &import.error {
            None => writeln!(out, "  import {}: ok ({} ms)", import.module, import.ms)?,
            Some(error) => writeln!(out, "  import {}: {error}", import.module)?,
        }
    }
    for unlinked in &run.link {
        writeln!(
            out,
            "  link {}: cannot resolve {} (calling them fails)",
            unlinked.library,
            unlinked.unresolved.join(", ")
        )?;
    }
    if let Some(code) = &run.code {
        match &code.error {
            None => writeln!(out, "  code: ok ({} ms)", code.ms)?,
            Some(error) => writeln!(out, "  code: {error}")?,
        }
        for line in code.stdout.lines() {
            writeln!(out, "  | {line}")?;
        }
    }
    if let Some(report) = &run.pytest {
        pytest(out, report)?;
    }
    Ok(())
}

/// pytest's session in one release: its status and counts, each failure with why, the
/// slowest tests and the timings.
fn pytest(out: &mut dyn Write, report: &crate::run::pytest::PytestReport) -> io::Result<()> {
    let c = &report.counts;
    let counts: Vec<String> = [
        (c.passed, "passed"),
        (c.failed, "failed"),
        (c.errors, "errors"),
        (c.skipped, "skipped"),
        (c.xfailed, "xfailed"),
        (c.xpassed, "xpassed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let t = &report.timings;
    writeln!(
        out,
        "  pytest: {} (exit {}): {} collected{}{} (collect {} ms, run {} ms)",
        report.status,
        report.exit,
        report.collected,
        if counts.is_empty() { "" } else { ", " },
        counts.join(", "),
        t.collect,
        t.run
    )?;
    for failure in &report.failures {
        let at = match (&failure.file, failure.line) {
            (Some(file), Some(line)) => format!(" ({file}:{line})"),
            _ => String::new(),
        };
        writeln!(out, "    {} {}{at}: {}", failure.outcome.to_uppercase(), failure.nodeid, failure.message)?;
    }
    if !report.slowest.is_empty() {
        writeln!(out, "    slowest:")?;
        for slow in report.slowest.iter().take(5) {
            writeln!(out, "      {:>7} ms  {}", slow.ms, slow.nodeid)?;
        }
    }
    Ok(())
}

/// The wheels a lock refuses, each with its reasons.
fn refusals(out: &mut dyn Write, refused: &[crate::lock::Refused]) -> io::Result<()> {
    for refused in refused {
        writeln!(out, "  {}: refused", refused.wheel)?;
        for reason in &refused.reasons {
            let path = reason.path.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
            writeln!(out, "    {}[{}]{path}: {}", reason.severity, reason.rule, reason.message)?;
        }
    }
    Ok(())
}

/// Renders what `lock` did.
pub fn lock(out: &mut dyn Write, lock: &crate::lock::Lock) -> io::Result<()> {
    writeln!(out, "pyodide-lock.json for Pyodide {} ({})", lock.pyodide, lock.platform)?;
    resolution(out, &lock.resolution)?;
    for added in &lock.added {
        let list = |items: &[String]| if items.is_empty() { "none".to_string() } else { items.join(", ") };
        let entry = &added.entry;
        writeln!(
            out,
            "  {} {}: imports {}; depends {}",
            added.key,
            entry.version,
            list(&entry.imports),
            list(&entry.depends)
        )?;
        if let Some(version) = &added.replaces {
            writeln!(out, "    replaces the release's {} {version}", added.key)?;
        }
        if !added.unchecked_libraries.is_empty() {
            writeln!(
                out,
                "    NEEDs libraries of {}, shared-library packages of the release: their symbols are not checked",
                added.unchecked_libraries.join(", ")
            )?;
        }
    }
    refusals(out, &lock.refused)?;
    match &lock.output {
        Some(path) => writeln!(out, "wrote {path}"),
        None => writeln!(out, "nothing written"),
    }
}

/// Renders what `pack` did: a table per package, the totals, the timings.
pub fn pack(out: &mut dyn Write, pack: &crate::pack::Pack) -> io::Result<()> {
    match &pack.variant {
        Some(name) => writeln!(out, "runtime variant {name} for Pyodide {} ({})", pack.pyodide, pack.platform)?,
        None => writeln!(out, "{} for Pyodide {} ({})", pack.entry, pack.pyodide, pack.platform)?,
    }
    resolution(out, &pack.resolution)?;
    refusals(out, &pack.refused)?;
    if !pack.packages.is_empty() {
        writeln!(
            out,
            "  {:<24} {:>15} {:>6} {:>5} {:>21} {:>21} {:>9}",
            "package", "files", ".py", ".so", "compressed", "unpacked", "reduction"
        )?;
        for p in pack.packages.iter().chain(std::iter::once(&pack.total)) {
            let reduction = if p.unpacked_before == 0 {
                0.0
            } else {
                100.0 * (1.0 - p.unpacked_after as f64 / p.unpacked_before as f64)
            };
            writeln!(
                out,
                "  {:<24} {:>15} {:>6} {:>5} {:>21} {:>21} {:>8.1}%",
                p.name,
                format!("{} -> {}", p.files_before, p.files_after),
                p.py_files,
                p.so_files,
                format!("{} -> {}", size(p.compressed_before), size(p.compressed_after)),
                format!("{} -> {}", size(p.unpacked_before), size(p.unpacked_after)),
                reduction
            )?;
        }
        writeln!(out, "  trace {} ms, verify {} ms", pack.trace_ms, pack.verify_ms)?;
    }
    for warning in &pack.warnings {
        writeln!(out, "  warning: {warning}")?;
    }
    match (&pack.failure, &pack.output) {
        (Some(why), _) => writeln!(out, "  FAILED: {why}; nothing written"),
        (None, Some(dir)) => writeln!(
            out,
            "wrote {dir} ({}: verified {})",
            if pack.variant.is_some() {
                "a fresh runtime from it alone imports every module of its packages"
            } else {
                "it runs as the traced run did"
            },
            if pack.verified.is_empty() { "nowhere".to_string() } else { pack.verified.join(" and ") }
        ),
        (None, None) => writeln!(out, "nothing written"),
    }
}

/// A byte count for people: `12.3 MB`, `4.5 kB`, `512 B`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// Platform tags for a line of text, or `none`.
fn platform_list(tags: &[crate::platform::PlatformTag]) -> String {
    if tags.is_empty() { "none".into() } else { tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ") }
}

/// Renders what `repair` did to one wheel.
pub fn repair(out: &mut dyn Write, r: &crate::repair::Repair) -> io::Result<()> {
    match &r.output {
        Some(output) => {
            writeln!(out, "{} -> {output}", r.input)?;
        }
        None => {
            let errors = r.findings.iter().filter(|f| f.severity == crate::rules::Severity::Error).count();
            writeln!(out, "{}: not repaired, the result would still have {}", r.input, count(errors, "error"))?;
        }
    }
    for v in &r.vendored {
        writeln!(out, "  vendored {} from {} as {}", v.library, v.source, v.path)?;
    }
    let mut moved_from: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &r.moved {
        let folder = m.from.len() - m.to.len();
        *moved_from.entry(&m.from[..folder]).or_default() += 1;
    }
    for (folder, n) in moved_from {
        writeln!(out, "  moved {} from {folder} to the root, where Pyodide imports them", count(n, "member"))?;
    }
    if !r.kept_data.is_empty() {
        writeln!(out, "  kept {}", crate::audit::name_list(&r.kept_data, 6))?;
    }
    for w in &r.rewritten {
        let mut what = vec![format!("NEEDED {}", list_or_none(&w.needed))];
        if !w.runtime_paths.is_empty() {
            what.push(format!("RUNTIME_PATH {}", w.runtime_paths.join(":")));
        }
        if w.converted_legacy_dylink {
            what.push("dylink converted to dylink.0".into());
        }
        if w.stripped {
            what.push("stripped".into());
        }
        writeln!(out, "  rewrote {}: {}", w.path, what.join("; "))?;
    }
    if r.tags_before != r.tags_after {
        let list = |tags: &[crate::wheel::Tag]| tags.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        writeln!(out, "  retagged {} -> {}", list(&r.tags_before), list(&r.tags_after))?;
    }
    writeln!(out, "  compatible: {}", platform_list(&r.compatible_platforms))?;
    findings(out, &r.findings)
}

/// Renders what `policy import` wrote: a line per policy.
pub fn imported(out: &mut dyn Write, written: &[crate::policy::import::Imported]) -> io::Result<()> {
    for imported in written {
        let p = &imported.policy;
        let tags: Vec<&str> = p.platform_tags.iter().map(|t| t.as_str()).collect();
        writeln!(
            out,
            "{}: {} ({} {}, Python {}, {} symbols)",
            imported.path.display(),
            tags.join(", "),
            p.source.runtime,
            p.source.version,
            p.python,
            p.symbols.len()
        )?;
    }
    Ok(())
}

/// What `registry` wrote: the package, its variants, its files.
pub fn registry(out: &mut dyn Write, registry: &crate::registry::RegistryPackage) -> io::Result<()> {
    let total: u64 = registry.files.iter().map(|(_, size)| size).sum();
    writeln!(
        out,
        "wrote {}: {} {} ({} files, {}, no dependencies)",
        registry.output,
        registry.name,
        registry.version,
        registry.files.len(),
        size(total)
    )?;
    for (i, v) in registry.variants.iter().enumerate() {
        let default = if i == 0 { " (the default)" } else { "" };
        writeln!(
            out,
            "  {}{default}: {}@{}, Pyodide {}, {}",
            v.name,
            v.package,
            v.version,
            v.pyodide,
            v.packages.join(", ")
        )?;
    }
    Ok(())
}
