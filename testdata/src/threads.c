/* An extension built with -pthread: its memory is shared, which no Pyodide ABI allows. */
#include "minipy.h"
static _Atomic int counter = 5;
FIXTURE_MODULE(_threads, ++counter)
