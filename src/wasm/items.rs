//! What a wasm binary imports and exports, as types: value types, function signatures,
//! imports by kind. Reports serialize them flat (`kind`, `type`, `mutable`, `shared`,
//! `memory64`, `signature`), as `spec/report.schema.json` describes.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde::ser::SerializeMap;

/// A value type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `v128`.
    V128,
    /// A reference type, as wasmparser prints it (`funcref`, `(ref null 3)`).
    Ref(String),
}

impl From<wasmparser::ValType> for ValueType {
    fn from(ty: wasmparser::ValType) -> Self {
        match ty {
            wasmparser::ValType::I32 => ValueType::I32,
            wasmparser::ValType::I64 => ValueType::I64,
            wasmparser::ValType::F32 => ValueType::F32,
            wasmparser::ValType::F64 => ValueType::F64,
            wasmparser::ValType::V128 => ValueType::V128,
            wasmparser::ValType::Ref(r) => ValueType::Ref(r.to_string()),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::I32 => "i32",
            ValueType::I64 => "i64",
            ValueType::F32 => "f32",
            ValueType::F64 => "f64",
            ValueType::V128 => "v128",
            ValueType::Ref(r) => r,
        })
    }
}

impl FromStr for ValueType {
    type Err = SignatureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "i32" => ValueType::I32,
            "i64" => ValueType::I64,
            "f32" => ValueType::F32,
            "f64" => ValueType::F64,
            "v128" => ValueType::V128,
            r if r.ends_with("ref") || (r.starts_with('(') && r.ends_with(')')) => ValueType::Ref(r.to_string()),
            _ => return Err(SignatureError(s.to_string())),
        })
    }
}

/// A function type: `(i32, i64) -> (i32)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Parameter types.
    pub params: Vec<ValueType>,
    /// Result types.
    pub results: Vec<ValueType>,
}

/// A text that is not a function type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a function type like (i32, i64) -> (i32)")]
pub struct SignatureError(pub String);

impl From<&wasmparser::FuncType> for Signature {
    fn from(ty: &wasmparser::FuncType) -> Self {
        Signature {
            params: ty.params().iter().map(|t| (*t).into()).collect(),
            results: ty.results().iter().map(|t| (*t).into()).collect(),
        }
    }
}

impl Signature {
    /// Whether any parameter or result is an i64.
    pub fn has_i64(&self) -> bool {
        self.params.iter().chain(&self.results).any(|t| *t == ValueType::I64)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |types: &[ValueType]| types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

serde_as_text!(Signature);

impl FromStr for Signature {
    type Err = SignatureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SignatureError(s.to_string());
        let (params, results) = s.split_once(" -> ").ok_or_else(bad)?;
        let list = |part: &str| -> Result<Vec<ValueType>, SignatureError> {
            let inner = part.strip_prefix('(').and_then(|p| p.strip_suffix(')')).ok_or_else(bad)?;
            if inner.is_empty() {
                Ok(Vec::new())
            } else {
                inner.split(", ").map(|t| t.parse().map_err(|_| bad())).collect()
            }
        };
        Ok(Signature { params: list(params)?, results: list(results)? })
    }
}

/// The kind of an imported or exported item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A function.
    Func,
    /// A global.
    Global,
    /// A linear memory.
    Memory,
    /// A table.
    Table,
    /// An exception tag.
    Tag,
    /// A component-model instance (an interface).
    Instance,
    /// A core module (component model).
    Module,
    /// A nested component.
    Component,
    /// A type (component model).
    Type,
    /// A value (component model).
    Value,
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Func => "func",
            ItemKind::Global => "global",
            ItemKind::Memory => "memory",
            ItemKind::Table => "table",
            ItemKind::Tag => "tag",
            ItemKind::Instance => "instance",
            ItemKind::Module => "module",
            ItemKind::Component => "component",
            ItemKind::Type => "type",
            ItemKind::Value => "value",
        })
    }
}

/// What one import is, with what its kind says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportItem {
    /// A function, with its type (`None` for a type that is not a function type).
    Func(Option<Signature>),
    /// A global.
    Global {
        /// Its value type.
        value: ValueType,
        /// Whether mutable.
        mutable: bool,
    },
    /// A linear memory.
    Memory {
        /// Whether shared (threads).
        shared: bool,
        /// Whether 64-bit.
        memory64: bool,
    },
    /// A table.
    Table,
    /// An exception tag.
    Tag,
    /// An item of a component (an interface, a function, a type...).
    Component(ItemKind),
}

impl ImportItem {
    /// The kind of item.
    pub fn kind(&self) -> ItemKind {
        match self {
            ImportItem::Func(_) => ItemKind::Func,
            ImportItem::Global { .. } => ItemKind::Global,
            ImportItem::Memory { .. } => ItemKind::Memory,
            ImportItem::Table => ItemKind::Table,
            ImportItem::Tag => ItemKind::Tag,
            ImportItem::Component(kind) => *kind,
        }
    }
}

/// One import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The module it comes from (empty for component imports).
    pub module: String,
    /// The item name.
    pub name: String,
    /// What it is.
    pub item: ImportItem,
}

impl Import {
    /// Whether this is a core function import from `module`.
    pub fn is_func_from(&self, module: &str) -> bool {
        self.module == module && matches!(self.item, ImportItem::Func(_))
    }

    /// The function type, for a function import.
    pub fn signature(&self) -> Option<&Signature> {
        match &self.item {
            ImportItem::Func(signature) => signature.as_ref(),
            _ => None,
        }
    }
}

impl Serialize for Import {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("module", &self.module)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("kind", &self.item.kind())?;
        match &self.item {
            ImportItem::Func(Some(signature)) => map.serialize_entry("signature", signature)?,
            ImportItem::Global { value, mutable } => {
                map.serialize_entry("type", &value.to_string())?;
                map.serialize_entry("mutable", mutable)?;
            }
            ImportItem::Memory { shared, memory64 } => {
                map.serialize_entry("shared", shared)?;
                map.serialize_entry("memory64", memory64)?;
            }
            _ => {}
        }
        map.end()
    }
}

/// One export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// What it is.
    pub kind: ItemKind,
    /// For functions: the type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_print_and_parse_back() {
        for text in ["(i32, i64) -> (i32)", "() -> ()", "(f64, v128) -> (funcref)", "((ref null 3)) -> (i32)"] {
            let parsed: Signature = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
        }
        assert!("(i32) -> (i32)".parse::<Signature>().unwrap() != "(i64) -> (i32)".parse().unwrap());
        assert!("(i33) -> ()".parse::<Signature>().is_err());
        assert!("i32 -> i32".parse::<Signature>().is_err());
    }

    #[test]
    fn imports_serialize_flat() {
        let global = Import {
            module: "env".into(),
            name: "g".into(),
            item: ImportItem::Global { value: ValueType::I32, mutable: true },
        };
        assert_eq!(
            serde_json::to_value(&global).unwrap(),
            serde_json::json!({"module": "env", "name": "g", "kind": "global", "type": "i32", "mutable": true})
        );
        let func = Import {
            module: "env".into(),
            name: "f".into(),
            item: ImportItem::Func(Some("(i32) -> ()".parse().unwrap())),
        };
        assert_eq!(serde_json::to_value(&func).unwrap()["signature"], "(i32) -> ()");
    }
}
