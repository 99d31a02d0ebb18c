/* A WASI extension that NEEDs libwasilib.so: value() == 7. */
#include "minipy.h"
int wasilib_value(void);
FIXTURE_MODULE(_wasiuse, wasilib_value() + 2)
