//! GitHub Actions workflow commands: one annotation per finding (`::error file=...::...`), so
//! findings show on the pull request and in the job summary.

use std::fmt::Write;

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

fn annotate(out: &mut String, file: &str, finding: &Finding) {
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let member = finding.path.as_deref().map(|p| format!("{p}: ")).unwrap_or_default();
    let platform = finding.platform.as_deref().map(|p| format!(" [{p}]")).unwrap_or_default();
    let _ = writeln!(
        out,
        "::{level} file={},title={}::{}",
        property(file),
        property(&format!("wasmwheel {}", finding.rule)),
        data(&format!("{member}{}{platform}", finding.message))
    );
}

fn input_errors(out: &mut String, errors: &[InputError]) {
    for e in errors {
        let _ = writeln!(out, "::error file={},title=wasmwheel::{}", property(&e.path), data(&e.message));
    }
}

/// Annotations for the findings of show, audit and check.
pub fn render(reports: &[WheelReport], errors: &[InputError]) -> String {
    let mut out = String::new();
    for report in reports {
        for finding in report.findings.iter().flatten() {
            annotate(&mut out, &report.path, finding);
        }
    }
    input_errors(&mut out, errors);
    out
}

/// Annotations for repair: its findings, and a notice for each wheel written.
pub fn render_repairs(repairs: &[Repair], errors: &[InputError]) -> String {
    let mut out = String::new();
    for repair in repairs {
        for finding in &repair.findings {
            annotate(&mut out, &repair.input, finding);
        }
        if let Some(output) = &repair.output {
            let _ = writeln!(
                out,
                "::notice file={},title=wasmwheel repair::{}",
                property(&repair.input),
                data(&format!("repaired into {output}"))
            );
        }
    }
    input_errors(&mut out, errors);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    #[test]
    fn escapes_as_the_workflow_command_syntax_requires() {
        let finding =
            Finding::new(Rule::UnresolvedSymbol, Some("pkg/a.so"), "50% of\nsymbols").on("pyemscripten_2026_0_wasm32");
        let mut out = String::new();
        annotate(&mut out, "dist/a,b:c.whl", &finding);
        assert_eq!(
            out,
            "::error file=dist/a%2Cb%3Ac.whl,title=wasmwheel unresolved-symbol::pkg/a.so: 50%25 of%0Asymbols [pyemscripten_2026_0_wasm32]\n"
        );
    }
}
