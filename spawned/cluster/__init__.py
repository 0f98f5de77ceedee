"""spawned.cluster: GenServers on many OS processes and machines, over NATS.

A runtime joins a cluster as a named node; handles to processes on other nodes are used
exactly as local ones. Needs the ``cluster`` extra: ``pip install 'spawned[cluster]'``.
"""

from ._embedded import EmbeddedServer as EmbeddedServer
from ._embedded import find_nats_server as find_nats_server
