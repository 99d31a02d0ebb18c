//! The wheel reader (zip, WHEEL, METADATA, RECORD, binaries) and everything built on it:
//! audit, check, and rewriting the wheel as repair and tags do. Nothing may panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wasmwheel::{AuditOptions, PolicySet, Wheel, WheelEdit};

fn policies() -> &'static PolicySet {
    static POLICIES: OnceLock<PolicySet> = OnceLock::new();
    POLICIES.get_or_init(|| PolicySet::load(&[] as &[&str]).expect("embedded policies"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(wheel) = Wheel::from_bytes("fuzz.whl", "pkg-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", data) else {
        return;
    };
    let _ = wasmwheel::check(&wheel, policies(), &AuditOptions::default());
    if let Ok(edit) = WheelEdit::new(&wheel) {
        let bytes = edit.to_bytes().expect("a wheel rewrites in memory");
        // What wasmwheel writes, it reads back.
        Wheel::from_bytes("out.whl", "pkg-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", &bytes)
            .expect("a rewritten wheel reads back");
    }
});
