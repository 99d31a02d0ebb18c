// A C++ extension that catches an exception thrown across a side-module boundary:
// built twice, with JS exceptions (-fexceptions) and with wasm exceptions (-fwasm-exceptions).
#include <stdexcept>
extern "C" {
#include "minipy.h"
}
static int thrower(int x) {
  if (x > 0) throw std::runtime_error("positive");
  return x;
}
static int catcher(int x) {
  try {
    return thrower(x);
  } catch (std::exception &) {
    return -1;
  }
}
extern "C" {
FIXTURE_MODULE(_cpp, catcher(1))
}
