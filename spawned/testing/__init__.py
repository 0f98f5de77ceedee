"""Test helpers: write one async test body and run it on asyncio, trio and threads.

Installing spawned registers a pytest plugin. A test that takes the ``spawned_runtime``
fixture runs three times, with ids ``asyncio``, ``trio`` and ``threads``; the fixture is
a [`TestRuntime`][spawned.testing.TestRuntime], whose waiting methods are all awaitable
whatever the backend:

```python
async def test_echo(spawned_runtime: TestRuntime) -> None:
    echo = await spawned_runtime.start(Echo())
    assert await echo.call("hi") == "hi"
```

Narrow it with ``pytest -k threads``, or parametrize ``spawned_backend`` yourself.
[`wait_until`][spawned.testing.wait_until] waits for a condition nothing announces.
``spawned_cluster`` ([`open_test_cluster`][spawned.testing.open_test_cluster]) runs a test
against real node processes over NATS (the ``cluster`` extra).
"""

from ._cluster import TestCluster as TestCluster
from ._cluster import open_test_cluster as open_test_cluster
from ._runtime import BACKENDS as BACKENDS
from ._runtime import TestHandle as TestHandle
from ._runtime import TestRuntime as TestRuntime
from ._runtime import TestSupervisorHandle as TestSupervisorHandle
from ._runtime import open_test_runtime as open_test_runtime
from ._wait import wait_until as wait_until

__all__ = [
    "BACKENDS",
    "TestCluster",
    "TestHandle",
    "TestRuntime",
    "TestSupervisorHandle",
    "open_test_cluster",
    "open_test_runtime",
    "wait_until",
]
