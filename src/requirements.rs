//! `Requires-Dist` as a Pyodide release sees it: the release's marker environment, the
//! requirements of a wheel that apply there (no extras), and which of them other wheels meet.
//! `lock` checks a lock's closure with them; `test` and `audit --confirm` install a wheel with
//! the wheels given that it requires, and say which requirements none of them meets.

use std::fmt;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, VersionOrUrl};

use crate::policy::LoadedPolicy;
use crate::rules::{Finding, Rule};
use crate::runtime::pyodide::Release;
use crate::wheel::Wheel;

/// A requirement of a wheel that applies on a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The distribution required (normalized).
    pub name: PackageName,
    /// Its version specifiers, if any.
    pub specifiers: Option<VersionSpecifiers>,
}

impl Requirement {
    /// Whether `version` is one this requires.
    pub fn admits(&self, version: &Version) -> bool {
        self.specifiers.as_ref().is_none_or(|s| s.contains(version))
    }

    /// Whether `wheel` is a distribution of the name and a version this requires.
    pub fn met_by(&self, wheel: &Wheel) -> bool {
        wheel.filename.name.normalized() == &self.name && self.admits(wheel.filename.version.version())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.specifiers {
            Some(s) if !s.is_empty() => write!(f, "{}{s}", self.name),
            _ => write!(f, "{}", self.name),
        }
    }
}

/// The release's environment for `Requires-Dist` markers: `sys_platform == "emscripten"`,
/// `platform_machine == "wasm32"`, its Python; `None` when its versions do not make one.
pub fn environment(release: &Release, policy: &LoadedPolicy) -> Option<MarkerEnvironment> {
    let emscripten = policy.policy().emscripten.as_ref().map(ToString::to_string).unwrap_or_default();
    let feature = release.python.feature();
    let short = format!("{}.{}", feature.major, feature.minor);
    emscripten_environment(&release.python.version().to_string(), &short, &emscripten)
}

/// The marker environment of CPython `python` (`3.14.2`, feature release `short`: `3.14`) on
/// Emscripten `emscripten`.
fn emscripten_environment(python: &str, short: &str, emscripten: &str) -> Option<MarkerEnvironment> {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: python,
        os_name: "posix",
        platform_machine: "wasm32",
        platform_python_implementation: "CPython",
        platform_release: emscripten,
        platform_system: "Emscripten",
        platform_version: "#1",
        python_full_version: python,
        python_version: short,
        sys_platform: "emscripten",
    })
    .ok()
}

/// The wheel's requirements that apply in `env` (no extras), and a finding for each
/// `Requires-Dist` that does not parse.
pub fn requirements(wheel: &Wheel, env: &MarkerEnvironment) -> (Vec<Requirement>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let Some(metadata) = wheel.metadata.parsed() else { return (out, bad) };
    for requirement in metadata.requires_dist() {
        match requirement {
            Ok(r) if r.evaluate_markers(env, &[]) => {
                let specifiers = match r.version_or_url {
                    Some(VersionOrUrl::VersionSpecifier(s)) => Some(s),
                    _ => None,
                };
                out.push(Requirement { name: r.name, specifiers });
            }
            Ok(_) => {}
            Err(e) => bad.push(Finding::new(Rule::MetadataInvalidRequiresDist, None, crate::one_line::one_line(&e))),
        }
    }
    (out, bad)
}

/// The wheels of `given` that `wheel` needs on the release, transitively (itself excluded),
/// in the order found; and the requirements of that closure none of `given` meets.
pub fn closure<'a>(wheel: &Wheel, given: &[&'a Wheel], env: &MarkerEnvironment) -> (Vec<&'a Wheel>, Vec<Requirement>) {
    let mut chosen: Vec<&'a Wheel> = Vec::new();
    let mut unmet: Vec<Requirement> = Vec::new();
    let mut queue = vec![wheel];
    while let Some(next) = queue.pop() {
        for requirement in requirements(next, env).0 {
            match given.iter().find(|w| requirement.met_by(w)) {
                Some(&found) if std::ptr::eq(found, wheel) || chosen.iter().any(|c| std::ptr::eq(*c, found)) => {}
                Some(&found) => {
                    chosen.push(found);
                    queue.push(found);
                }
                None if !unmet.contains(&requirement) => unmet.push(requirement),
                None => {}
            }
        }
    }
    (chosen, unmet)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn fixture(name: &str) -> Wheel {
        Wheel::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/wheels").join(name)).unwrap()
    }

    fn python(version: &str) -> MarkerEnvironment {
        emscripten_environment(version, &version[..version.rfind('.').unwrap()], "4.0.9").unwrap()
    }

    #[test]
    fn the_closure_takes_the_given_wheels_and_names_what_none_meets() {
        let app = fixture("fxapp-1.0-py3-none-any.whl");
        let pkg = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
        let pure = fixture("fxpure-1.0-py3-none-any.whl");
        let (with, unmet) = closure(&app, &[&pure, &app, &pkg], &python("3.14.2"));
        assert_eq!(with.iter().map(|w| w.path.as_str()).collect::<Vec<_>>(), [pkg.path.as_str()]);
        // No extras (numpy), no other platform (pywin32); tomli only before 3.11.
        assert_eq!(unmet.iter().map(ToString::to_string).collect::<Vec<_>>(), ["micropip"]);
        let (_, unmet) = closure(&app, &[&pkg], &python("3.10.4"));
        assert_eq!(unmet.iter().map(ToString::to_string).collect::<Vec<_>>(), ["micropip", "tomli"]);
        let (with, unmet) = closure(&app, &[], &python("3.14.2"));
        assert!(with.is_empty());
        assert_eq!(unmet.iter().map(ToString::to_string).collect::<Vec<_>>(), ["fxpkg>=1.0", "micropip"]);
    }
}
