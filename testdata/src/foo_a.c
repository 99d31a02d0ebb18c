/* One build of libfoo.so. */
__attribute__((visibility("default"))) int foo_value(void) { return 1; }
