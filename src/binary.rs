//! Finding binaries by their magic bytes, whatever their names: wasm (inspected in
//! [`crate::wasm`]) and native ELF, Mach-O and PE files (goblin), which have no place in a
//! WebAssembly wheel.

use goblin::Hint;
use serde::Serialize;

/// A native executable or library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NativeBinary {
    /// `ELF`, `Mach-O` or `PE`.
    pub format: &'static str,
    /// The architecture, as goblin names it (`X86_64`, `AARCH64`, `x86_64`, ...).
    pub arch: String,
}

/// Recognises a native binary from its header.
///
/// ELF and thin Mach-O magics are unambiguous: a file with one is reported even when the rest
/// of its header is damaged (`arch` is then `unknown`). `MZ` and `0xCAFEBABE` (shared with Java
/// class files) count only when the header parses.
pub fn native(data: &[u8]) -> Option<NativeBinary> {
    let hint: &[u8; 16] = data.get(..16)?.try_into().ok()?;
    match goblin::peek_bytes(hint).ok()? {
        Hint::Elf(_) => Some(NativeBinary {
            format: "ELF",
            arch: goblin::elf::Elf::parse_header(data)
                .map(|h| goblin::elf::header::machine_to_str(h.e_machine).to_string())
                .unwrap_or_else(|_| "unknown".into()),
        }),
        Hint::Mach(_) => Some(NativeBinary {
            format: "Mach-O",
            arch: match goblin::mach::Mach::parse(data) {
                Ok(goblin::mach::Mach::Binary(m)) => mach_arch(m.header.cputype(), m.header.cpusubtype()),
                _ => "unknown".into(),
            },
        }),
        Hint::MachFat(_) => match goblin::mach::Mach::parse(data).ok()? {
            goblin::mach::Mach::Fat(fat) => {
                let arches: Vec<String> =
                    fat.arches().ok()?.iter().map(|a| mach_arch(a.cputype, a.cpusubtype)).collect();
                Some(NativeBinary { format: "Mach-O", arch: arches.join("+") })
            }
            goblin::mach::Mach::Binary(m) => {
                Some(NativeBinary { format: "Mach-O", arch: mach_arch(m.header.cputype(), m.header.cpusubtype()) })
            }
        },
        Hint::PE => {
            let header = goblin::pe::header::Header::parse(data).ok()?;
            Some(NativeBinary {
                format: "PE",
                arch: goblin::pe::header::machine_to_str(header.coff_header.machine).to_string(),
            })
        }
        _ => None,
    }
}

fn mach_arch(cputype: u32, cpusubtype: u32) -> String {
    goblin::mach::cputype::get_arch_name_from_types(cputype, cpusubtype).unwrap_or("unknown").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_this_test_binary() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let native = native(&exe).expect("the test binary is native");
        assert!(["ELF", "Mach-O", "PE"].contains(&native.format));
        assert_ne!(native.arch, "unknown");
    }

    #[test]
    fn ignores_text_and_java_classes() {
        assert_eq!(native(b"MZ is how this text file starts, nothing more"), None);
        let mut class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 52];
        class.extend([0u8; 40]);
        assert_eq!(native(&class), None);
        assert_eq!(native(b"\0asm\x01\0\0\0"), None);
    }

    #[test]
    fn damaged_elf_is_still_native() {
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(20, 0);
        assert_eq!(native(&elf).unwrap().format, "ELF");
    }
}
