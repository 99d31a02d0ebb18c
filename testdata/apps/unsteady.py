# A test app whose output differs from run to run: `wasmwheel pack` must refuse to bundle it.
import os

import msgspec

print(msgspec.json.encode(os.urandom(8).hex()).decode())
