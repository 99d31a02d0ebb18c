/* A WASI shared library that fxwasiuse NEEDs but does not ship. */
__attribute__((visibility("default"))) int wasilib_value(void) { return 5; }
