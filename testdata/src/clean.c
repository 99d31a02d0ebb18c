/* A self-contained limited-API extension: value() == 7. */
#include "minipy.h"
FIXTURE_MODULE(_clean, 6 + (_Py_NoneStruct.ob_refcnt != 0))
