//! CPython's limited API, from `spec/limited-api.txt`: which symbols an `abi3` extension may
//! import, and since which Python.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::python::PythonVersion;

const DATA: &str = include_str!("../../spec/limited-api.txt");

/// The version (`3.12`) that added each limited-API function and data symbol.
pub fn added() -> &'static HashMap<&'static str, PythonVersion> {
    static ADDED: OnceLock<HashMap<&'static str, PythonVersion>> = OnceLock::new();
    ADDED.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let (name, _kind, version) = (fields.next()?, fields.next()?, fields.next()?);
                Some((name, version.parse().ok()?))
            })
            .collect()
    })
}

/// Whether a symbol name belongs to CPython's C API.
pub fn is_python_api(name: &str) -> bool {
    name.starts_with("Py") || name.starts_with("_Py")
}

/// Why `symbol` may not be imported by an abi3 extension for Python `min` and later, if not.
pub fn violation(symbol: &str, min: PythonVersion) -> Option<String> {
    if !is_python_api(symbol) {
        return None;
    }
    match added().get(symbol) {
        None => Some(format!("{symbol} (not in the limited API)")),
        Some(&since) if since > min => Some(format!("{symbol} (limited API since {since})")),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_stable_abi() {
        let v = PythonVersion::new;
        assert_eq!(violation("PyModule_Create2", v(3, 2)), None);
        assert_eq!(violation("_Py_NoneStruct", v(3, 12)), None);
        assert_eq!(violation("strlen", v(3, 12)), None);
        assert!(violation("PyLong_GetSign", v(3, 12)).unwrap().contains("not in the limited API"));
        assert!(violation("PyType_GetDict", v(3, 12)).is_some());
        assert!(violation("PyAIter_Check", v(3, 9)).unwrap().contains("since 3.10"));
    }
}
