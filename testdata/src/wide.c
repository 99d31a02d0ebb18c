/* An extension with i64 in its interface, built without -sWASM_BIGINT: Emscripten splits each
 * i64 into two i32s. Its export wide_add gets an orig$ twin and setTempRet0, and its import of
 * PyLong_FromLongLong changes type, so it no longer links with a main module built with BigInt
 * support, as every Pyodide ABI is. */
#include "minipy.h"
PyObject *PyLong_FromLongLong(long long);
__attribute__((visibility("default"))) long long wide_add(long long a, long long b) { return a + b; }
static PyObject *value(PyObject *self, PyObject *unused) { return PyLong_FromLongLong(wide_add(3, 4)); }
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, 0}, {0, 0, 0, 0}};
static PyModuleDef module = {PyModuleDef_HEAD_INIT, "_wide", 0, -1, methods, 0, 0, 0, 0};
PyMODINIT_FUNC PyInit__wide(void) { return PyModule_Create2(&module, PYTHON_API_VERSION); }
