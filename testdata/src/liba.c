/* The bottom of the dependency chain: _ext NEEDs libb.so, which NEEDs liba.so. */
__attribute__((visibility("default"))) int liba_value(void) { return 40; }
