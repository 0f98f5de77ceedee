"""Attacks on the default codec (issue 16, item 5): bytes from the wire never make a node
import a module.
"""

from __future__ import annotations

import subprocess
import sys

LAZY_IMPORT = """
import sys
import asyncio  # imports concurrent.futures, whose module __getattr__ imports on demand
import msgspec
from spawned.cluster import CodecError, MsgpackCodec

assert "concurrent.futures.process" not in sys.modules
codec = MsgpackCodec().bind(None)
inner = msgspec.msgpack.encode(["concurrent.futures:ProcessPoolExecutor", {}])
data = msgspec.msgpack.encode(msgspec.msgpack.Ext(6, inner))
try:
    codec.decode(data)
except CodecError:
    pass
else:
    raise SystemExit("decoded")
assert "concurrent.futures.process" not in sys.modules, "the wire made the node import a module"
"""


def test_a_class_name_on_the_wire_never_triggers_a_lazy_import() -> None:
    done = subprocess.run(  # noqa: S603 - this Python
        [sys.executable, "-c", LAZY_IMPORT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
