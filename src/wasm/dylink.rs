//! The dynamic-linking custom section, read and written as a pair.
//!
//! `dylink.0` (WebAssembly tool-conventions, DynamicLinking.md) is a list of subsections
//! `id:u8, len:varuint32, payload`: 1 MEM_INFO, 2 NEEDED, 3 EXPORT_INFO, 4 IMPORT_INFO,
//! 5 RUNTIME_PATH. The old flat `dylink` section (before 2021) holds mem info and needed only.
//!
//! Reading uses wasmparser's `dylink.0` reader. Writing works on [`Subsection`]s that keep the
//! bytes they were read from, so a rewrite changes only what it means to change: unknown
//! subsections and non-minimal encodings survive byte for byte.

use wasm_encoder::Encode;
use wasmparser::{BinaryReader, Dylink0SectionReader, Dylink0Subsection};

use super::WasmError;

/// Name of the current dynamic-linking section.
pub const DYLINK0: &str = "dylink.0";
/// Name of the pre-2021 section.
pub const LEGACY_DYLINK: &str = "dylink";

/// Subsection id of MEM_INFO.
pub const MEM_INFO: u8 = 1;
/// Subsection id of NEEDED.
pub const NEEDED: u8 = 2;
/// Subsection id of EXPORT_INFO.
pub const EXPORT_INFO: u8 = 3;
/// Subsection id of IMPORT_INFO.
pub const IMPORT_INFO: u8 = 4;
/// Subsection id of RUNTIME_PATH.
pub const RUNTIME_PATH: u8 = 5;

/// Symbol flag: the symbol is weak (an import may stay unresolved).
pub const FLAG_WEAK: u32 = 0x1;
/// Symbol flag: thread-local.
pub const FLAG_TLS: u32 = 0x100;

/// MEM_INFO: what the loader reserves for the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemInfo {
    /// Bytes of memory.
    pub memory_size: u32,
    /// Memory alignment, log2.
    pub memory_alignment: u32,
    /// Table slots.
    pub table_size: u32,
    /// Table alignment, log2.
    pub table_alignment: u32,
}

/// A symbol named in EXPORT_INFO or IMPORT_INFO, with its flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolInfo {
    /// The import module (IMPORT_INFO only).
    pub module: Option<String>,
    /// The symbol name.
    pub name: String,
    /// Flags (0x1 weak, 0x100 TLS).
    pub flags: u32,
}

/// What the dynamic-linking section says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dylink {
    /// Whether this is the old `dylink` section.
    pub legacy: bool,
    /// Whether the section is the module's first, as Emscripten requires.
    pub first_section: bool,
    /// MEM_INFO.
    pub mem_info: Option<MemInfo>,
    /// NEEDED libraries, in order.
    pub needed: Vec<String>,
    /// RUNTIME_PATH entries, in order.
    pub runtime_paths: Vec<String>,
    /// EXPORT_INFO.
    pub export_info: Vec<SymbolInfo>,
    /// IMPORT_INFO.
    pub import_info: Vec<SymbolInfo>,
    /// Ids of subsections wasmwheel does not know, kept as they are on rewrite.
    pub unknown_subsections: Vec<u8>,
}

impl Dylink {
    /// Reads a `dylink.0` section body that starts at `offset` in the binary.
    pub fn parse_dylink0(data: &[u8], offset: u64, first_section: bool) -> Result<Dylink, WasmError> {
        let mut dylink = Dylink {
            legacy: false,
            first_section,
            mem_info: None,
            needed: Vec::new(),
            runtime_paths: Vec::new(),
            export_info: Vec::new(),
            import_info: Vec::new(),
            unknown_subsections: Vec::new(),
        };
        for subsection in Dylink0SectionReader::new(BinaryReader::new(data, offset)) {
            match subsection? {
                Dylink0Subsection::MemInfo(m) => {
                    dylink.mem_info = Some(MemInfo {
                        memory_size: m.memory_size,
                        memory_alignment: m.memory_alignment,
                        table_size: m.table_size,
                        table_alignment: m.table_alignment,
                    })
                }
                Dylink0Subsection::Needed(names) => dylink.needed.extend(names.iter().map(|s| s.to_string())),
                Dylink0Subsection::RuntimePath(paths) => {
                    dylink.runtime_paths.extend(paths.iter().map(|s| s.to_string()))
                }
                Dylink0Subsection::ExportInfo(infos) => dylink.export_info.extend(infos.iter().map(|i| SymbolInfo {
                    module: None,
                    name: i.name.to_string(),
                    flags: i.flags.bits(),
                })),
                Dylink0Subsection::ImportInfo(infos) => dylink.import_info.extend(infos.iter().map(|i| SymbolInfo {
                    module: Some(i.module.to_string()),
                    name: i.field.to_string(),
                    flags: i.flags.bits(),
                })),
                Dylink0Subsection::TargetArch(_) => dylink.unknown_subsections.push(6),
                Dylink0Subsection::Unknown { ty, .. } => dylink.unknown_subsections.push(ty),
            }
        }
        Ok(dylink)
    }

    /// Reads an old flat `dylink` section body.
    pub fn parse_legacy(data: &[u8], offset: u64, first_section: bool) -> Result<Dylink, WasmError> {
        let legacy = LegacyDylink::parse(data, offset)?;
        Ok(Dylink {
            legacy: true,
            first_section,
            mem_info: Some(legacy.mem_info),
            needed: legacy.needed,
            runtime_paths: Vec::new(),
            export_info: Vec::new(),
            import_info: Vec::new(),
            unknown_subsections: Vec::new(),
        })
    }

    /// Whether IMPORT_INFO marks `module.name` weak.
    pub fn is_weak_import(&self, module: &str, name: &str) -> bool {
        self.import_info
            .iter()
            .any(|i| i.flags & FLAG_WEAK != 0 && i.name == name && i.module.as_deref() == Some(module))
    }
}

/// The old flat `dylink` section: mem info, then needed libraries.
struct LegacyDylink {
    mem_info: MemInfo,
    needed: Vec<String>,
}

impl LegacyDylink {
    fn parse(data: &[u8], offset: u64) -> Result<LegacyDylink, WasmError> {
        let mut reader = BinaryReader::new(data, offset);
        let mem_info = MemInfo {
            memory_size: reader.read_var_u32()?,
            memory_alignment: reader.read_var_u32()?,
            table_size: reader.read_var_u32()?,
            table_alignment: reader.read_var_u32()?,
        };
        let count = reader.read_var_u32()?;
        // Each name takes at least one byte: a count past the section is caught before looping.
        if count as usize > reader.bytes_remaining() {
            return Err(WasmError {
                offset: reader.original_position(),
                message: format!("dylink needs {count} libraries but the section has room for fewer"),
            });
        }
        let needed =
            (0..count).map(|_| reader.read_unlimited_string().map(str::to_string)).collect::<Result<_, _>>()?;
        Ok(LegacyDylink { mem_info, needed })
    }
}

/// One `dylink.0` subsection with the exact bytes it was read from (id, length, payload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subsection {
    id: u8,
    bytes: Vec<u8>,
    payload_at: usize,
}

impl Subsection {
    /// A new subsection holding `payload`, with a minimal length encoding.
    pub fn new(id: u8, payload: Vec<u8>) -> Subsection {
        let mut bytes = vec![id];
        (payload.len() as u32).encode(&mut bytes);
        let payload_at = bytes.len();
        bytes.extend_from_slice(&payload);
        Subsection { id, bytes, payload_at }
    }

    /// The subsection id.
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.payload_at..]
    }
}

/// Splits a `dylink.0` body into its subsections, keeping every byte.
pub fn split(data: &[u8], offset: u64) -> Result<Vec<Subsection>, WasmError> {
    let mut reader = BinaryReader::new(data, offset);
    let mut out = Vec::new();
    while !reader.eof() {
        let start = reader.current_position();
        let id = reader.read_u8()?;
        let len = reader.read_var_u32()? as usize;
        let payload_at = reader.current_position() - start;
        reader.read_bytes(len)?;
        out.push(Subsection { id, bytes: data[start..reader.current_position()].to_vec(), payload_at });
    }
    Ok(out)
}

/// Subsections for an old `dylink` body: MEM_INFO, and NEEDED when it names any library.
pub fn from_legacy(data: &[u8], offset: u64) -> Result<Vec<Subsection>, WasmError> {
    let legacy = LegacyDylink::parse(data, offset)?;
    let m = legacy.mem_info;
    let mut mem = Vec::new();
    for v in [m.memory_size, m.memory_alignment, m.table_size, m.table_alignment] {
        v.encode(&mut mem);
    }
    let mut out = vec![Subsection::new(MEM_INFO, mem)];
    if !legacy.needed.is_empty() {
        let names: Vec<&str> = legacy.needed.iter().map(String::as_str).collect();
        out.push(Subsection::new(NEEDED, encode_strings(&names)));
    }
    Ok(out)
}

/// Encodes a `dylink.0` body.
pub fn encode(subsections: &[Subsection]) -> Vec<u8> {
    subsections.iter().flat_map(|s| s.bytes.iter().copied()).collect()
}

/// Encodes a NEEDED or RUNTIME_PATH payload: a count, then length-prefixed strings.
pub fn encode_strings(strings: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    (strings.len() as u32).encode(&mut out);
    for s in strings {
        s.encode(&mut out);
    }
    out
}

/// Puts `payload` in the subsection `id`: where the module has it (once or, as loaders allow,
/// several times) it takes the place of the first and the others go; where it has none, it
/// goes before the first subsection with a higher id. An empty `payload` removes the
/// subsection, so nothing empty is ever added.
pub fn set_subsection(subsections: &mut Vec<Subsection>, id: u8, payload: Option<Vec<u8>>) {
    let at = subsections
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| subsections.iter().position(|s| s.id > id).unwrap_or(subsections.len()));
    // Nothing with this id comes before `at`, so removing them all leaves `at` in place.
    subsections.retain(|s| s.id != id);
    if let Some(payload) = payload {
        subsections.insert(at, Subsection::new(id, payload));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_encode_round_trip_keeps_odd_encodings() {
        // NEEDED with a padded (non-minimal) length, then an unknown subsection 9.
        let mut body = vec![NEEDED, 0x89, 0x80, 0x00];
        body.extend(encode_strings(&["liba.so"]));
        body.extend([9, 2, 0xAB, 0xCD]);
        let parts = split(&body, 0).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(encode(&parts), body);
        let parsed = Dylink::parse_dylink0(&body, 0, true).unwrap();
        assert_eq!(parsed.needed, ["liba.so"]);
        assert_eq!(parsed.unknown_subsections, [9]);
    }

    #[test]
    fn set_subsection_replaces_inserts_in_order_and_never_adds_empty() {
        let mut parts = vec![
            Subsection::new(MEM_INFO, vec![0, 0, 0, 0]),
            Subsection::new(IMPORT_INFO, vec![0]),
            Subsection::new(9, vec![1]),
        ];
        set_subsection(&mut parts, RUNTIME_PATH, Some(encode_strings(&["$ORIGIN"])));
        set_subsection(&mut parts, NEEDED, Some(encode_strings(&["a.so"])));
        set_subsection(&mut parts, EXPORT_INFO, None);
        let ids: Vec<u8> = parts.iter().map(Subsection::id).collect();
        assert_eq!(ids, [MEM_INFO, NEEDED, IMPORT_INFO, RUNTIME_PATH, 9]);

        // A NEEDED list split over two subsections becomes one.
        let mut twice = vec![
            Subsection::new(NEEDED, encode_strings(&["a.so"])),
            Subsection::new(9, vec![1]),
            Subsection::new(NEEDED, encode_strings(&["b.so"])),
        ];
        assert_eq!(Dylink::parse_dylink0(&encode(&twice), 0, true).unwrap().needed, ["a.so", "b.so"]);
        set_subsection(&mut twice, NEEDED, Some(encode_strings(&["c.so"])));
        assert_eq!(twice.iter().map(Subsection::id).collect::<Vec<_>>(), [NEEDED, 9]);
        let parsed = Dylink::parse_dylink0(&encode(&parts), 0, true).unwrap();
        assert_eq!(parsed.runtime_paths, ["$ORIGIN"]);
        assert_eq!(parsed.needed, ["a.so"]);
    }

    #[test]
    fn legacy_section_parses_and_converts() {
        let mut body = Vec::new();
        for v in [16u32, 2, 1, 0] {
            v.encode(&mut body);
        }
        body.extend(encode_strings(&["liba.so"]));
        let legacy = Dylink::parse_legacy(&body, 0, true).unwrap();
        assert!(legacy.legacy);
        assert_eq!(legacy.needed, ["liba.so"]);
        let modern = Dylink::parse_dylink0(&encode(&from_legacy(&body, 0).unwrap()), 0, true).unwrap();
        assert_eq!(modern.mem_info, legacy.mem_info);
        assert_eq!(modern.needed, legacy.needed);
    }

    #[test]
    fn oversized_counts_fail_cleanly() {
        let mut body = vec![0, 0, 0, 0];
        body.extend([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
        assert!(Dylink::parse_legacy(&body, 0, true).is_err());
        let needed = [NEEDED, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
        assert!(Dylink::parse_dylink0(&needed, 0, true).is_err());
    }
}
