//! Rewriting a side module: new NEEDED and RUNTIME_PATH in `dylink.0`, the old `dylink`
//! section converted, debug sections dropped on request. Every other section is copied byte
//! for byte, and `dylink.0` is written first.

use wasm_encoder::{CustomSection, Section};
use wasmparser::BinaryReader;

use super::dylink::{self, DYLINK0, LEGACY_DYLINK, NEEDED, RUNTIME_PATH};
use super::{WASM_MAGIC, WasmError};

/// What to change in a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edit {
    /// New NEEDED list; `None` keeps the old one.
    pub needed: Option<Vec<String>>,
    /// New RUNTIME_PATH list; `None` keeps the old one, an empty list removes it.
    pub runtime_paths: Option<Vec<String>>,
    /// Drop DWARF (`.debug_*`), `name`, `sourceMappingURL` and `external_debug_info`.
    pub strip: bool,
}

/// Whether a custom section holds only debugging information.
pub fn is_debug_section(name: &str) -> bool {
    name.starts_with(".debug_") || matches!(name, "name" | "sourceMappingURL" | "external_debug_info")
}

fn strings_payload(strings: &[String]) -> Option<Vec<u8>> {
    let refs: Vec<&str> = strings.iter().map(String::as_str).collect();
    (!refs.is_empty()).then(|| dylink::encode_strings(&refs))
}

fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    CustomSection { name: name.into(), data: data.into() }.append_to(&mut out);
    out
}

/// Applies `edit` to the core module in `bytes`.
///
/// An old `dylink` section is always converted to `dylink.0`. Fails on a component, on a
/// damaged binary, and when a NEEDED or RUNTIME_PATH change is asked of a module without a
/// dynamic-linking section.
pub fn rewrite(bytes: &[u8], edit: &Edit) -> Result<Vec<u8>, WasmError> {
    let mut reader = BinaryReader::new(bytes, 0);
    let header = reader.read_bytes(8)?;
    if &header[..4] != WASM_MAGIC || header[4..] != [1, 0, 0, 0] {
        return Err(WasmError { offset: 4, message: "not a core wasm module (version 1)".into() });
    }
    let mut dylink_section: Option<Vec<u8>> = None;
    let mut rest = Vec::with_capacity(bytes.len());
    while !reader.eof() {
        let start = reader.current_position();
        let id = reader.read_u8()?;
        let size = reader.read_var_u32()? as usize;
        let content_offset = reader.original_position();
        let content = reader.read_bytes(size)?;
        let whole = &bytes[start..reader.current_position()];
        if id != 0 {
            rest.extend_from_slice(whole);
            continue;
        }
        let mut custom = BinaryReader::new(content, content_offset);
        let name = custom.read_unlimited_string()?;
        let body_offset = custom.original_position();
        let body = &content[custom.current_position()..];
        let is_dylink = name == DYLINK0 || name == LEGACY_DYLINK;
        if is_dylink && dylink_section.is_none() {
            let legacy = name == LEGACY_DYLINK;
            let mut parts =
                if legacy { dylink::from_legacy(body, body_offset)? } else { dylink::split(body, body_offset)? };
            if let Some(needed) = &edit.needed {
                dylink::set_subsection(&mut parts, NEEDED, strings_payload(needed));
            }
            if let Some(paths) = &edit.runtime_paths {
                dylink::set_subsection(&mut parts, RUNTIME_PATH, strings_payload(paths));
            }
            let new_body = dylink::encode(&parts);
            dylink_section =
                Some(if !legacy && new_body == body { whole.to_vec() } else { custom_section(DYLINK0, &new_body) });
        } else if !(edit.strip && is_debug_section(name)) {
            rest.extend_from_slice(whole);
        }
    }
    let wants_dylink = edit.needed.is_some() || edit.runtime_paths.is_some();
    if dylink_section.is_none() && wants_dylink {
        return Err(WasmError { offset: 8, message: "module has no dylink.0 section to rewrite".into() });
    }
    let mut out = Vec::with_capacity(bytes.len() + 64);
    out.extend_from_slice(header);
    if let Some(section) = dylink_section {
        out.extend_from_slice(&section);
    }
    out.extend_from_slice(&rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::inspect;
    use wasm_encoder::{CustomSection, Encode, Module, TypeSection};

    fn module(sections: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        for (i, (name, data)) in sections.iter().enumerate() {
            if i == 1 {
                m.section(&types);
            }
            m.section(&CustomSection { name: (*name).into(), data: data.as_slice().into() });
        }
        m.finish()
    }

    #[test]
    fn unchanged_edit_is_identity() {
        let mut body = dylink::encode(&[dylink::Subsection::new(NEEDED, dylink::encode_strings(&["a.so"]))]);
        body.extend([9, 1, 7]); // an unknown subsection
        let bytes = module(&[(DYLINK0, body), ("producers", vec![0])]);
        assert_eq!(rewrite(&bytes, &Edit::default()).unwrap(), bytes);
    }

    #[test]
    fn rewrites_needed_and_runtime_path_keeping_the_rest() {
        let mut body = dylink::encode(&[dylink::Subsection::new(NEEDED, dylink::encode_strings(&["liba.so"]))]);
        body.extend([9, 1, 7]);
        let bytes = module(&[(DYLINK0, body), ("name", vec![0]), ("producers", vec![0])]);
        let edit = Edit {
            needed: Some(vec!["liba-0123abcd.so".into()]),
            runtime_paths: Some(vec!["$ORIGIN/../pkg.libs".into()]),
            strip: true,
        };
        let out = rewrite(&bytes, &edit).unwrap();
        let info = inspect(&out).unwrap();
        let d = info.dylink.unwrap();
        assert!(d.first_section);
        assert_eq!(d.needed, ["liba-0123abcd.so"]);
        assert_eq!(d.runtime_paths, ["$ORIGIN/../pkg.libs"]);
        assert_eq!(d.unknown_subsections, [9]);
        assert_eq!(info.custom_sections, [DYLINK0, "producers"]);
    }

    #[test]
    fn moves_dylink_first_and_converts_legacy() {
        let mut legacy = Vec::new();
        for v in [0u32, 0, 0, 0] {
            v.encode(&mut legacy);
        }
        legacy.extend(dylink::encode_strings(&["liba.so"]));
        let bytes = module(&[("producers", vec![0]), (LEGACY_DYLINK, legacy)]);
        let out = rewrite(&bytes, &Edit::default()).unwrap();
        let d = inspect(&out).unwrap().dylink.unwrap();
        assert!(!d.legacy && d.first_section);
        assert_eq!(d.needed, ["liba.so"]);
    }

    #[test]
    fn refuses_what_it_cannot_rewrite() {
        let plain = module(&[("producers", vec![0])]);
        let edit = Edit { needed: Some(vec!["x.so".into()]), ..Edit::default() };
        assert!(rewrite(&plain, &edit).is_err());
        assert!(rewrite(&plain[..plain.len() - 1], &Edit::default()).is_err());
        assert!(rewrite(b"\0asm\x0d\0\x01\0", &Edit::default()).is_err());
    }
}
