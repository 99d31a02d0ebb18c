//! The wasm inspector, and rewriting what it accepts. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmwheel::wasm::{self, rewrite};

fuzz_target!(|data: &[u8]| {
    let Ok(info) = wasm::inspect(data) else { return };
    if info.kind == wasm::WasmKind::WasmComponent {
        return;
    }
    // An unchanged edit gives back the same sections; a rewrite reads back.
    if let Ok(out) = rewrite::rewrite(data, &rewrite::Edit::default())
        && info.dylink.as_ref().is_none_or(|d| d.first_section && !d.legacy)
    {
        assert_eq!(out, data, "an empty edit changes nothing");
    }
    if info.dylink.is_some() {
        let edit = rewrite::Edit {
            needed: Some(vec!["libfuzz-0123abcd.so".into()]),
            runtime_paths: Some(vec!["$ORIGIN/../pkg.libs".into()]),
            strip: true,
        };
        if let Ok(out) = rewrite::rewrite(data, &edit) {
            let again = wasm::inspect(&out).expect("a rewritten module reads back");
            let dylink = again.dylink.expect("and keeps its dylink.0");
            assert_eq!(dylink.needed, ["libfuzz-0123abcd.so"]);
            assert!(dylink.first_section && !dylink.legacy);
        }
    }
});
