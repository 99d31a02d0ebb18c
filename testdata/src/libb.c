/* NEEDs liba.so. */
int liba_value(void);
__attribute__((visibility("default"))) int libb_value(void) { return liba_value() + 2; }
