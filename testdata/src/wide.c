/* An extension with an i64 interface, built without -sWASM_BIGINT: Emscripten splits the
 * i64s (getTempRet0/setTempRet0, orig$ exports), which no Pyodide ABI accepts. */
#include "minipy.h"
__attribute__((visibility("default"))) long long wide_add(long long a, long long b) { return a + b; }
FIXTURE_MODULE(_wide, (long)wide_add(3, 4))
