"""spawned.cluster: GenServers on many OS processes and machines, over NATS.

A runtime joins a cluster as a named node; handles to processes on other nodes are used
exactly as local ones. Needs the ``cluster`` extra: ``pip install 'spawned[cluster]'``.
"""

from ._codec import BoundCodec as BoundCodec
from ._codec import Codec as Codec
from ._codec import CodecError as CodecError
from ._codec import MsgpackCodec as MsgpackCodec
from ._codec import PickleCodec as PickleCodec
from ._embedded import EmbeddedServer as EmbeddedServer
from ._embedded import find_nats_server as find_nats_server
from ._wire import Pid as Pid
from ._wire import RemoteError as RemoteError
