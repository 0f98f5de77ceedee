"""Checking linearizability: record a history of operations, check it against a model.

A history is linearizable when every operation can be given a single point in time, between
its invocation and its return, at which it takes effect, such that the operations in that
order make sense to a sequential specification (a `Model`: a register, a key-value map, a
queue, ...). `check` decides it with Wing & Gong's search and Lowe's memoisation (as Knossos
and Porcupine do), splits a history into independent parts where the model allows it (a
key-value map, key by key), and says which operation could not be linearized after the
longest linearizable prefix. `CheckResult.write_html` draws the history as a timeline.

```python
from spawned.sim import lincheck

history = lincheck.History(clock=s.now)
token = history.invoke("client-1", lincheck.Put("x", 1))
...
history.ok(token)
result = lincheck.check(history, lincheck.KeyValue())
assert result.ok, result.report()
```

Pure Python: nothing here imports the simulator, so it checks histories from anywhere.
"""

from ..._util import fixup_module_metadata
from ._check import CheckResult as CheckResult
from ._check import PartitionResult as PartitionResult
from ._check import check as check
from ._history import UNKNOWN as UNKNOWN
from ._history import Fail as Fail
from ._history import History as History
from ._history import Invoke as Invoke
from ._history import Ok as Ok
from ._history import Operation as Operation
from ._history import Timeout as Timeout
from ._html import visualize as visualize
from ._model import Model as Model
from ._model import partition_by as partition_by
from ._models import Add as Add
from ._models import Append as Append
from ._models import Cas as Cas
from ._models import CasKey as CasKey
from ._models import CasRegister as CasRegister
from ._models import Contains as Contains
from ._models import Counter as Counter
from ._models import Dequeue as Dequeue
from ._models import Enqueue as Enqueue
from ._models import Get as Get
from ._models import Increment as Increment
from ._models import KeyValue as KeyValue
from ._models import Put as Put
from ._models import Queue as Queue
from ._models import Read as Read
from ._models import Register as Register
from ._models import Remove as Remove
from ._models import Set as Set
from ._models import Write as Write

__all__ = [
    "UNKNOWN",
    "Add",
    "Append",
    "Cas",
    "CasKey",
    "CasRegister",
    "CheckResult",
    "Contains",
    "Counter",
    "Dequeue",
    "Enqueue",
    "Fail",
    "Get",
    "History",
    "Increment",
    "Invoke",
    "KeyValue",
    "Model",
    "Ok",
    "Operation",
    "PartitionResult",
    "Put",
    "Queue",
    "Read",
    "Register",
    "Remove",
    "Set",
    "Timeout",
    "Write",
    "check",
    "partition_by",
    "visualize",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
