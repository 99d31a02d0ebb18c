//! The audit agrees with real Pyodide: for fixtures built each way, a platform is compatible
//! exactly when the wheel installs and imports in that Pyodide release under Node.

mod common;

use common::*;

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn audit_verdicts_match_real_pyodide() {
    let wheels = [
        ("fxclean", "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "7"),
        ("fxcppjs", "fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "-1"),
        ("fxcppwasm", "fxcppwasm-1.0-cp313-abi3-pyemscripten_2025_0_wasm32.whl", "-1"),
        ("fxwide", "fxwide-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "7"),
        ("fxthreads", "fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "6"),
        ("fxoldlink", "fxoldlink-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl", "7"),
    ];
    let mut cases = Vec::new();
    for (package, wheel, value) in wheels {
        let path = fixture(wheel);
        let (_, report) = wasmwheel_json(["audit", "--format", "json", path.to_str().unwrap()]);
        let compatible = compatible(&report);
        for (abi, _) in ABIS {
            cases.push((package, path.clone(), value, abi, compatible.contains(&format!("pyemscripten_{abi}_wasm32"))));
        }
    }
    // Two Node processes at a time: each loads a whole Pyodide.
    let results: Vec<_> = std::thread::scope(|scope| {
        cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(package, path, _, abi, _)| {
                            pyodide_run(abi, &[path], &format!("import {package}; {package}.value()"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut disagreements = Vec::new();
    assert_eq!(results.len(), cases.len(), "every case ran");
    for ((package, _, value, abi, compatible), result) in cases.iter().zip(results) {
        let loads = result.as_deref() == Ok(*value);
        if loads != *compatible {
            disagreements
                .push(format!("{package} on {abi}: audit says compatible={compatible}, Pyodide says {result:?}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
