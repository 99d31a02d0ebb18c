/* An extension that NEEDs libb.so (which NEEDs liba.so) and reads a data symbol of the
 * interpreter (GOT.mem._Py_NoneStruct): value() == 4201 when everything resolved. */
#include "minipy.h"
int libb_value(void);
FIXTURE_MODULE(_ext, libb_value() * 100 + (_Py_NoneStruct.ob_refcnt != 0))
