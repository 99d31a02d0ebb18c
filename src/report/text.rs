//! The human-readable rendering.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{BinaryReport, WheelReport};
use crate::policy::LoadedPolicy;
use crate::wasm::Markers;

/// Names the build markers that are set, for one line of text.
pub fn markers_line(m: &Markers) -> String {
    let flags = [
        (m.js_exceptions, "JS exceptions"),
        (m.wasm_exceptions, "wasm exceptions"),
        (m.js_setjmp, "JS setjmp"),
        (m.wasm_setjmp, "wasm setjmp"),
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
pub fn binary(out: &mut String, b: &BinaryReport, verbose: bool) {
    if let Some(native) = &b.native {
        let _ = writeln!(out, "  {}: native {} binary ({})", b.path, native.format, native.arch);
        return;
    }
    let _ = writeln!(out, "  {}: {}", b.path, b.kind);
    let _ = writeln!(out, "    needed: {}", list_or_none(&b.needed));
    if !b.runtime_paths.is_empty() {
        let _ = writeln!(out, "    runtime path: {}", b.runtime_paths.join(", "));
    }
    if b.legacy_dylink {
        let _ = writeln!(out, "    dynamic linking: old `dylink` section");
    }
    if !b.markers.python_entry_points.is_empty() {
        let _ = writeln!(out, "    entry points: {}", b.markers.python_entry_points.join(", "));
    }
    let _ = writeln!(out, "    markers: {}", markers_line(&b.markers));
    let mut by_module: BTreeMap<&str, usize> = BTreeMap::new();
    for import in &b.imports {
        *by_module.entry(import.module.as_str()).or_default() += 1;
    }
    let summary: Vec<String> = by_module
        .iter()
        .map(|(module, n)| if module.is_empty() { format!("{n} component") } else { format!("{module} {n}") })
        .collect();
    let _ = writeln!(out, "    imports: {} ({})", b.imports.len(), summary.join(", "));
    let _ = writeln!(out, "    exports: {}", b.exports.len());
    if verbose {
        for i in &b.imports {
            let module = if i.module.is_empty() { String::new() } else { format!("{}.", i.module) };
            let _ = writeln!(out, "      import {:<6} {module}{}", format!("{:?}", i.kind).to_lowercase(), i.name);
        }
        for e in &b.exports {
            let _ = writeln!(out, "      export {:<6} {}", format!("{:?}", e.kind).to_lowercase(), e.name);
        }
    }
}

/// Renders what `show` says of one file, imports and exports counted.
pub fn show_brief(report: &WheelReport) -> String {
    show(report, false)
}

/// Renders what `show -v` says of one file, every import and export listed.
pub fn show_verbose(report: &WheelReport) -> String {
    show(report, true)
}

fn show(report: &WheelReport, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.filename);
    if let (Some(name), Some(version)) = (&report.name, &report.version) {
        let _ = writeln!(out, "  distribution: {name} {version}");
        let _ = writeln!(out, "  tags: {}", list_or_none(&report.tags));
    }
    if report.binaries.is_empty() {
        let _ = writeln!(out, "  no binaries (a pure wheel)");
    }
    for b in &report.binaries {
        binary(&mut out, b, verbose);
    }
    findings(&mut out, report.findings.as_deref().unwrap_or_default());
    out
}

/// Renders the table of `policy list`.
pub fn policies(policies: &[LoadedPolicy]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<24} {:<7} {:<11} {:<10} {:<8} {:>8}  tags",
        "policy", "from", "python", "emscripten", "exceptions", "rpath", "symbols"
    );
    for p in policies {
        let p = &p.policy;
        let _ = writeln!(
            out,
            "{:<20} {:<24} {:<7} {:<11} {:<10} {:<8} {:>8}  {}",
            p.name,
            format!("{} {}", p.source.runtime, p.source.version),
            p.python,
            p.emscripten.as_deref().unwrap_or("-"),
            format!("{:?}", p.exceptions).to_lowercase(),
            if p.loader.runtime_path { "honoured" } else { "ignored" },
            p.symbols.len(),
            p.platform_tags.join(", ")
        );
    }
    out
}

/// `n thing(s)` with the right plural.
fn count(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}

/// Renders findings, one per line: `error[rule] path [platform]: message`.
pub fn findings(out: &mut String, findings: &[crate::rules::Finding]) {
    for f in findings {
        let path = f.path.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
        let platform = f.platform.as_deref().map(|p| format!(" [{p}]")).unwrap_or_default();
        let _ = writeln!(out, "  {}[{}]{path}{platform}: {}", f.severity, f.rule, f.message);
    }
}

/// Renders what `audit` (and `check`) say of one wheel.
pub fn audit(report: &WheelReport) -> String {
    let mut out = String::new();
    let all = report.findings.as_deref().unwrap_or_default();
    let errors = all.iter().filter(|f| f.severity == crate::rules::Severity::Error).count();
    let warnings = all.iter().filter(|f| f.severity == crate::rules::Severity::Warning).count();
    let verdict = match (errors, warnings) {
        (0, 0) => "OK".to_string(),
        (0, w) => format!("OK, {}", count(w, "warning")),
        (e, 0) => count(e, "error"),
        (e, w) => format!("{}, {}", count(e, "error"), count(w, "warning")),
    };
    let _ = writeln!(out, "{}: {verdict}", report.filename);
    if let Some(platforms) = report.platforms.as_ref().filter(|p| !p.is_empty()) {
        let compatible = report.compatible_platforms.as_deref().unwrap_or_default();
        let _ = writeln!(
            out,
            "  compatible: {}",
            if compatible.is_empty() { "none".into() } else { compatible.join(", ") }
        );
        for verdict in platforms.iter().filter(|v| !v.compatible) {
            let mut rules: Vec<&str> = verdict.reasons.iter().map(|r| r.rule.id()).collect();
            rules.sort();
            rules.dedup();
            let _ = writeln!(out, "  not {}: {}", verdict.platform, rules.join(", "));
        }
    }
    findings(&mut out, all);
    out
}

/// Renders what `repair` did to one wheel.
pub fn repair(r: &crate::repair::Repair) -> String {
    let mut out = String::new();
    match &r.output {
        Some(output) => {
            let _ = writeln!(out, "{} -> {output}", r.input);
        }
        None => {
            let errors = r.findings.iter().filter(|f| f.severity == crate::rules::Severity::Error).count();
            let _ = writeln!(out, "{}: not repaired, the result would still have {}", r.input, count(errors, "error"));
        }
    }
    for v in &r.vendored {
        let _ = writeln!(out, "  vendored {} from {} as {}", v.library, v.source, v.path);
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
        let _ = writeln!(out, "  rewrote {}: {}", w.path, what.join("; "));
    }
    if r.tags_before != r.tags_after {
        let _ = writeln!(out, "  retagged {} -> {}", r.tags_before.join(", "), r.tags_after.join(", "));
    }
    let compatible = &r.compatible_platforms;
    let _ =
        writeln!(out, "  compatible: {}", if compatible.is_empty() { "none".into() } else { compatible.join(", ") });
    findings(&mut out, &r.findings);
    out
}
