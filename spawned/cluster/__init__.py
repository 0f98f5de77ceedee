"""spawned.cluster: GenServers on many OS processes and machines, over NATS.

A runtime joins a cluster as a named node (``tasks.Runtime(cluster=Cluster(node="a"))`` or
``threads.Runtime(cluster=...)``); handles to processes on other nodes are used exactly as
local ones. Needs the ``cluster`` extra: ``pip install 'spawned[cluster]'``. Importing this
package does not import nats; a runtime imports it when it joins a cluster.
"""

from .._util import fixup_module_metadata
from ._codec import BoundCodec as BoundCodec
from ._codec import Codec as Codec
from ._codec import CodecError as CodecError
from ._codec import MsgpackCodec as MsgpackCodec
from ._codec import PickleCodec as PickleCodec
from ._config import Cluster as Cluster
from ._embedded import EmbeddedServer as EmbeddedServer
from ._embedded import find_nats_server as find_nats_server
from ._launcher import serve_forever as serve_forever
from ._node import Node as Node
from ._pg import ProcessGroups as ProcessGroups
from ._registry import ClusterRegistry as ClusterRegistry
from ._remote_start import RemoteChild as RemoteChild
from ._remote_start import allow_remote_start as allow_remote_start
from ._remote_start import check_reference as check_reference
from ._remote_start import remote_child as remote_child
from ._remote_start import start_on as start_on
from ._wire import Pid as Pid
from ._wire import RemoteError as RemoteError

__all__ = [
    "BoundCodec",
    "Cluster",
    "ClusterRegistry",
    "Codec",
    "CodecError",
    "EmbeddedServer",
    "MsgpackCodec",
    "Node",
    "PickleCodec",
    "Pid",
    "ProcessGroups",
    "RemoteChild",
    "RemoteError",
    "allow_remote_start",
    "check_reference",
    "find_nats_server",
    "remote_child",
    "serve_forever",
    "start_on",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
