/* An optional speedup that uses a function only Python 3.14 has (PyUnicodeWriter_Create): its
 * package falls back to pure Python where the extension does not import. value() == 8 here,
 * 7 from the fallback. */
#include "minipy.h"

void *PyUnicodeWriter_Create(long length);
void PyUnicodeWriter_Discard(void *writer);

static long writer_works(void) {
  void *writer = PyUnicodeWriter_Create(0);
  if (!writer) return 0;
  PyUnicodeWriter_Discard(writer);
  return 1;
}

FIXTURE_MODULE(_speedup, 7 + writer_works())
