# A test app for `wasmwheel pack`: one function of a large pure-Python package (Babel, whose
# wheel carries every locale) and a compiled wheel (msgspec, for pyemscripten_2026_0).
import msgspec
from babel.numbers import format_decimal

print(format_decimal(1234567.891, locale="en_US"))
print(format_decimal(1234567.891, locale="de_DE"))
print(msgspec.json.encode({"answer": 42, "list": [1, 2, 3]}).decode())
