//! The dylink.0 reader and writer as a pair: parse -> rewrite unchanged -> identical bytes,
//! inside a module and on its own. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmwheel::wasm::{dylink, rewrite};

/// A module holding `body` as its dylink.0 section, then one type section.
fn module(body: &[u8]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    let mut custom = vec![8];
    custom.extend_from_slice(b"dylink.0");
    custom.extend_from_slice(body);
    out.push(0);
    let mut len = custom.len() as u32;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        out.push(if len == 0 { byte } else { byte | 0x80 });
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(&custom);
    out.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
    out
}

fuzz_target!(|body: &[u8]| {
    let parsed = dylink::Dylink::parse_dylink0(body, 0, true);
    let Ok(parts) = dylink::split(body, 0) else {
        return;
    };
    assert_eq!(dylink::encode(&parts), body, "split and encode round-trip");
    if parsed.is_err() {
        return;
    }
    let wasm = module(body);
    let out = rewrite::rewrite(&wasm, &rewrite::Edit::default()).expect("a parsed dylink.0 rewrites");
    assert_eq!(out, wasm, "rewriting unchanged gives identical bytes");
    let _ = dylink::Dylink::parse_legacy(body, 0, true);
    let _ = dylink::from_legacy(body, 0);
});
