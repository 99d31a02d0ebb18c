/* A WASI extension module (a shared object for componentize-py): it calls WASI preview 1
 * directly, as code written against wasi-libc's <wasi/api.h> does, and the CPython API.
 * value() == 7 when random_get succeeds. */
#include "minipy.h"
__attribute__((import_module("wasi_snapshot_preview1"), import_name("random_get")))
int wasi_random_get(unsigned char *buf, unsigned long len);
static long seven(void) {
  unsigned char byte = 0;
  return wasi_random_get(&byte, 1) == 0 ? 6 + (_Py_NoneStruct.ob_refcnt != 0) : -1;
}
FIXTURE_MODULE(_wasiext, seven())
