/* An extension that NEEDs libfoo.so: value() is whatever that build returns. */
#include "minipy.h"
int foo_value(void);
FIXTURE_MODULE(_ext, foo_value())
