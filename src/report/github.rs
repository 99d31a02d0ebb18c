//! GitHub Actions workflow commands: one annotation per finding (`::error file=...::...`), so
//! findings show on the pull request and in the job summary.

use std::io::{self, Write};

use super::WheelReport;
use super::json::InputError;
use crate::repair::Repair;
use crate::rules::{Finding, Severity};

/// Escapes an annotation message.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes an annotation property (`file=`, `title=`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

fn annotate(out: &mut dyn Write, file: &str, finding: &Finding) -> io::Result<()> {
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let member = finding.path.as_deref().map(|p| format!("{p}: ")).unwrap_or_default();
    let platform = finding.platform.as_ref().map(|p| format!(" [{p}]")).unwrap_or_default();
    writeln!(
        out,
        "::{level} file={},title={}::{}",
        property(file),
        property(&format!("wasmwheel {}", finding.rule)),
        data(&format!("{member}{}{platform}", finding.message))
    )
}

fn input_errors(out: &mut dyn Write, errors: &[InputError]) -> io::Result<()> {
    for e in errors {
        writeln!(out, "::error file={},title=wasmwheel::{}", property(&e.path), data(&e.message))?;
    }
    Ok(())
}

/// Annotations for the findings of show, audit and check.
pub fn render(out: &mut dyn Write, reports: &[WheelReport], errors: &[InputError]) -> io::Result<()> {
    for report in reports {
        for finding in report.findings.iter().flatten() {
            annotate(out, &report.path, finding)?;
        }
    }
    input_errors(out, errors)
}

/// Annotations for test: an error for each failed install, import and code run and for each
/// requirement no source meets, a notice for each note of the resolution and for each release
/// where everything worked.
pub fn render_tests(out: &mut dyn Write, runs: &[crate::run::ReleaseRun], errors: &[InputError]) -> io::Result<()> {
    for run in runs {
        let file = run.wheels.first().map_or("", |w| w.wheel.as_str());
        let title = property(&format!("wasmwheel test: Pyodide {}", run.pyodide));
        let mut failures: Vec<String> = run.install.error.iter().map(|e| format!("install failed: {e}")).collect();
        failures.extend(run.imports.iter().filter_map(|i| Some(format!("import {}: {}", i.module, i.error.as_ref()?))));
        failures.extend(run.link.iter().map(|l| format!("{}: cannot resolve {}", l.library, l.unresolved.join(", "))));
        failures.extend(run.code.iter().filter_map(|c| Some(format!("code: {}", c.error.as_ref()?))));
        for failure in &failures {
            writeln!(out, "::error file={},title={title}::{}", property(file), data(failure))?;
        }
        for problem in run.resolution.problems() {
            writeln!(out, "::error file={},title={title}::{}", property(file), data(&problem))?;
        }
        for note in &run.resolution.notes {
            writeln!(out, "::notice file={},title={title}::{}", property(file), data(note))?;
        }
        if let Some(report) = &run.pytest {
            pytest(out, &title, report)?;
        }
        if failures.is_empty() && run.ok {
            let what =
                if run.pytest.is_some() { "installed, imported, tests passed" } else { "installed and imported" };
            writeln!(out, "::notice file={},title={title}::{}", property(file), data(what))?;
        }
    }
    input_errors(out, errors)
}

/// An error for each failing test at its file and line (a file in the project: tests the
/// wheels ship live in site-packages, and are annotated without a place); an error when
/// pytest's session did not pass for another reason.
fn pytest(out: &mut dyn Write, title: &str, report: &crate::run::pytest::PytestReport) -> io::Result<()> {
    for failure in &report.failures {
        let message = data(&format!("{} {}: {}", failure.outcome, failure.nodeid, failure.message));
        let place = match (&failure.file, failure.line) {
            (Some(file), _) if file.starts_with("..") || file.starts_with('/') => String::new(),
            (Some(file), Some(line)) => format!("file={},line={line},", property(file)),
            (Some(file), None) => format!("file={},", property(file)),
            (None, _) => String::new(),
        };
        writeln!(out, "::error {place}title={title}::{message}")?;
    }
    if !report.passed() && report.failures.is_empty() {
        let message = data(&format!("pytest: {} (exit {})", report.status, report.exit));
        writeln!(out, "::error title={title}::{message}")?;
    }
    Ok(())
}

/// An error for each reason a wheel is refused (by `lock`, or the lock step of `pack`).
fn refusals(out: &mut dyn Write, title: &str, refused: &[crate::lock::Refused]) -> io::Result<()> {
    for refused in refused {
        for reason in &refused.reasons {
            let message = data(&format!("[{}] {}", reason.rule, reason.message));
            writeln!(out, "::error file={},title={title}::{message}", property(&refused.wheel))?;
        }
    }
    Ok(())
}

/// Annotations for lock: an error for each reason a wheel is refused, a notice for the lock
/// written.
pub fn render_lock(out: &mut dyn Write, lock: &crate::lock::Lock) -> io::Result<()> {
    let title = property(&format!("wasmwheel lock: Pyodide {}", lock.pyodide));
    refusals(out, &title, &lock.refused)?;
    if let Some(path) = &lock.output {
        writeln!(
            out,
            "::notice file={},title={title}::{}",
            property(path),
            data(&format!("{} wheels added", lock.added.len()))
        )?;
    }
    Ok(())
}

/// Annotations for pack: an error when it failed, a notice with the reduction when it did
/// not, a warning for each thing the trace cannot vouch for.
pub fn render_pack(out: &mut dyn Write, pack: &crate::pack::Pack) -> io::Result<()> {
    let title = property(&format!("wasmwheel pack: Pyodide {}", pack.pyodide));
    let file = property(&pack.entry);
    for warning in &pack.warnings {
        writeln!(out, "::warning file={file},title={title}::{}", data(warning))?;
    }
    refusals(out, &title, &pack.refused)?;
    if let Some(why) = &pack.failure {
        writeln!(out, "::error file={file},title={title}::{}", data(why))?;
    } else if let Some(dir) = &pack.output {
        let total = &pack.total;
        writeln!(
            out,
            "::notice file={file},title={title}::{}",
            data(&format!("{dir}: {} -> {} bytes unpacked", total.unpacked_before, total.unpacked_after))
        )?;
    }
    Ok(())
}

/// Annotations for repair: its findings, and a notice for each wheel written.
pub fn render_repairs(out: &mut dyn Write, repairs: &[Repair], errors: &[InputError]) -> io::Result<()> {
    for repair in repairs {
        for finding in &repair.findings {
            annotate(out, &repair.input, finding)?;
        }
        if let Some(output) = &repair.output {
            writeln!(
                out,
                "::notice file={},title=wasmwheel repair::{}",
                property(&repair.input),
                data(&format!("repaired into {output}"))
            )?;
        }
    }
    input_errors(out, errors)
}

/// A notice for the registry written.
pub fn render_registry(out: &mut dyn Write, registry: &crate::registry::RegistryPackage) -> io::Result<()> {
    let names: Vec<&str> = registry.variants.iter().map(|v| v.name.as_str()).collect();
    let message = data(&format!("wrote {} with variants {}", registry.output, names.join(", ")));
    writeln!(out, "::notice title={}::{message}", property("wasmwheel registry"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    #[test]
    fn escapes_as_the_workflow_command_syntax_requires() {
        let platform = "pyemscripten_2026_0_wasm32".parse().unwrap();
        let finding = Finding::new(Rule::UnresolvedSymbol, Some("pkg/a.so"), "50% of\nsymbols").on(&platform);
        let mut out = Vec::new();
        annotate(&mut out, "dist/a,b:c.whl", &finding).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error file=dist/a%2Cb%3Ac.whl,title=wasmwheel unresolved-symbol::pkg/a.so: 50%25 of%0Asymbols [pyemscripten_2026_0_wasm32]\n"
        );
    }
}
