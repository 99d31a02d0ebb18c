/* The few pieces of CPython's stable ABI that the fixtures use, laid out for wasm32.
 *
 * Pyodide's headers are not published to a package registry, so the fixtures declare what
 * they need by hand. Everything here is in the limited API, whose layout CPython keeps stable
 * across versions: these declarations hold for Python 3.12, 3.13 and 3.14 alike. */
#ifndef MINIPY_H
#define MINIPY_H

typedef struct _object {
  long ob_refcnt;
  void *ob_type;
} PyObject;

typedef PyObject *(*PyCFunction)(PyObject *, PyObject *);

typedef struct PyMethodDef {
  const char *ml_name;
  PyCFunction ml_meth;
  int ml_flags;
  const char *ml_doc;
} PyMethodDef;

typedef struct PyModuleDef_Base {
  PyObject ob_base;
  void *m_init;
  long m_index;
  PyObject *m_copy;
} PyModuleDef_Base;

typedef struct PyModuleDef {
  PyModuleDef_Base m_base;
  const char *m_name;
  const char *m_doc;
  long m_size;
  PyMethodDef *m_methods;
  void *m_slots;
  void *m_traverse;
  void *m_clear;
  void *m_free;
} PyModuleDef;

#define PyModuleDef_HEAD_INIT {{1, 0}, 0, 0, 0}
#define METH_NOARGS 0x0004
#define PYTHON_API_VERSION 1013
#define PyMODINIT_FUNC __attribute__((visibility("default"))) PyObject *

extern PyObject _Py_NoneStruct;
PyObject *PyModule_Create2(PyModuleDef *, int);
PyObject *PyLong_FromLong(long);

/* Defines module `name` with one function, value(), that returns `expr` as an int. */
#define FIXTURE_MODULE(name, expr)                                                   \
  static PyObject *value(PyObject *self, PyObject *unused) {                       \
    return PyLong_FromLong(expr);                                                  \
  }                                                                                \
  static PyMethodDef methods[] = {{"value", value, METH_NOARGS, 0}, {0, 0, 0, 0}};  \
  static PyModuleDef module = {PyModuleDef_HEAD_INIT, #name, 0, -1, methods, 0, 0, 0, 0}; \
  PyMODINIT_FUNC PyInit_##name(void) { return PyModule_Create2(&module, PYTHON_API_VERSION); }

#endif
