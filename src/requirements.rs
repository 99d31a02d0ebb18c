//! `Requires-Dist` as a Pyodide release sees it: the release's marker environment (what the
//! resolver evaluates markers in), and the requirements of a wheel that do not parse.

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

use crate::policy::LoadedPolicy;
use crate::release::Release;
use crate::rules::{Finding, Rule};
use crate::wheel::Wheel;

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

/// A finding for each `Requires-Dist` of the wheel that does not parse.
pub fn invalid_requirements(wheel: &Wheel) -> Vec<Finding> {
    let Some(metadata) = wheel.metadata.parsed() else { return Vec::new() };
    metadata
        .requires_dist()
        .into_iter()
        .filter_map(Result::err)
        .map(|e| Finding::new(Rule::MetadataInvalidRequiresDist, None, crate::one_line::one_line(&e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_emscripten_on_wasm32() {
        let env = emscripten_environment("3.14.2", "3.14", "5.0.3").unwrap();
        let requirement: pep508_rs::Requirement =
            "x; sys_platform == 'emscripten' and python_version >= '3.14'".parse().unwrap();
        assert!(requirement.evaluate_markers(&env, &[]));
        let windows: pep508_rs::Requirement = "x; sys_platform == 'win32'".parse().unwrap();
        assert!(!windows.evaluate_markers(&env, &[]));
    }
}
