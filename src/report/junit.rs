//! JUnit XML of `test --pytest`: one file per release, for CI systems to read.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::run::ReleaseRun;
use crate::run::pytest::PytestReport;
use crate::runtime::protocol::TestOutcome;

/// The JUnit file name of a release's run: `pytest-pyodide-<version>-<runtime>.xml`.
pub fn file_name(run: &ReleaseRun) -> String {
    let clean = |s: &str| {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect::<String>()
    };
    format!("pytest-pyodide-{}-{}.xml", clean(&run.pyodide), clean(&run.runtime))
}

/// Writes one JUnit XML file for each release that ran pytest into `dir` (made if need be),
/// all or none.
pub fn write(dir: &Path, runs: &[ReleaseRun]) -> std::io::Result<()> {
    let mut staging = crate::fs::Staging::new(dir)?;
    let mut any = false;
    for run in runs {
        let Some(report) = &run.pytest else { continue };
        let xml = render(run, report).map_err(std::io::Error::other)?;
        staging.add(&file_name(run), xml.as_bytes())?;
        any = true;
    }
    if any {
        staging.commit()?;
    }
    Ok(())
}

/// The JUnit XML of one release's pytest session: a suite named for the release and runtime,
/// a case per test (class name from its node id), collection errors as errors.
pub fn render(run: &ReleaseRun, report: &PytestReport) -> Result<String, quick_junit::SerializeError> {
    let name = format!("pyodide-{}-{}", run.pyodide, run.runtime);
    let mut suite = TestSuite::new(name.as_str());
    suite.set_time(Duration::from_millis(report.timings.collect + report.timings.run));
    suite.add_property(("pyodide", run.pyodide.as_str()));
    suite.add_property(("runtime", run.runtime.as_str()));
    suite.add_property(("platform", run.platform.to_string().as_str()));
    suite.add_property(("pytest-exit", report.exit.to_string().as_str()));
    suite.add_test_cases(report.tests.iter().map(case));
    for failure in report.failures.iter().filter(|f| f.outcome == "collection error") {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(failure.message.as_str()).set_type("collection error");
        let mut case = TestCase::new(failure.nodeid.as_str(), status);
        case.set_classname(classname(&failure.nodeid));
        suite.add_test_case(case);
    }
    let mut junit = Report::new(format!("wasmwheel test --pytest ({name})"));
    junit.add_test_suite(suite);
    junit.to_string()
}

/// One test's case.
fn case(test: &TestOutcome) -> TestCase {
    let message = test.message.as_deref().unwrap_or(test.outcome.as_str());
    let status = match test.outcome.as_str() {
        "passed" | "xpassed" => TestCaseStatus::success(),
        "failed" => non_success(NonSuccessKind::Failure, message),
        "error" => non_success(NonSuccessKind::Error, message),
        "xfailed" => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("xfail: {message}")).set_type("pytest.xfail");
            status
        }
        _ => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(message).set_type("pytest.skip");
            status
        }
    };
    let leaf = test.nodeid.rsplit_once("::").map_or(test.nodeid.as_str(), |(_, leaf)| leaf);
    let mut case = TestCase::new(leaf, status);
    case.set_classname(classname(&test.nodeid));
    case.set_time(Duration::from_millis(test.ms));
    case
}

fn non_success(kind: NonSuccessKind, message: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(message);
    status
}

/// pytest's own JUnit class name: the node id's path as a dotted module, its classes after it
/// (`tests/test_x.py::TestY::test_z` → `tests.test_x.TestY`).
fn classname(nodeid: &str) -> String {
    let mut parts: Vec<&str> = nodeid.split("::").collect();
    if parts.len() > 1 {
        parts.pop();
    }
    let module = parts[0].strip_suffix(".py").unwrap_or(parts[0]).replace(['/', '\\'], ".");
    std::iter::once(module.as_str()).chain(parts[1..].iter().copied()).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_follow_pytest() {
        assert_eq!(classname("tests/test_x.py::TestY::test_z"), "tests.test_x.TestY");
        assert_eq!(classname("tests/test_x.py::test_z[1-2]"), "tests.test_x");
        assert_eq!(classname("tests/test_y.py"), "tests.test_y");
    }
}
