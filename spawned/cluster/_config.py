"""How a runtime joins a cluster: ``tasks.Runtime(cluster=Cluster(node="a", ...))``."""

from __future__ import annotations

import re
import ssl
from typing import Any

from attrs import field, frozen

from .._nodes import check_node_name
from ._codec import Codec, MsgpackCodec

__all__ = ["Cluster"]

_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _check_node(_: object, __: object, value: object) -> None:
    name = check_node_name(value)
    if "." in name:
        msg = f"bad node name {name!r} for a cluster: '.' separates NATS subject tokens; use '_' or '-'"
        raise ValueError(msg)


def _check_prefix(_: object, __: object, value: object) -> None:
    if not isinstance(value, str) or _PREFIX.fullmatch(value) is None:
        msg = f"bad cluster name {value!r}: use 1 to 64 letters, digits, '_' or '-' (a NATS subject token)"
        raise ValueError(msg)


def _check_positive(_: object, attribute: Any, value: object) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        msg = f"{attribute.name} must be a number of seconds > 0, got {value!r}"
        raise ValueError(msg)


@frozen(kw_only=True)
class Cluster:
    """Where and as what a runtime joins a cluster: pass it as ``Runtime(cluster=...)`` (both
    backends) or ``run(main, cluster=...)``.

    With no ``url``, the node starts an [`EmbeddedServer`][spawned.cluster.EmbeddedServer]
    of its own (other nodes join it through ``runtime.node.server``). With a ``url`` it joins
    that NATS server or cluster with the credentials given; every option is passed to
    ``nats.connect``. Give the system account's user (``system_user``/``system_password``)
    when you have it: a node then learns that another node is gone from the server's
    ``$SYS`` disconnect event within milliseconds; without it, nodes send heartbeats every
    ``heartbeat`` seconds and one silent for three of them is taken for gone.
    """

    node: str = field(validator=_check_node)
    """This node's name, unique in the cluster (letters, digits, ``_`` and ``-``)."""
    url: str | list[str] | None = None
    """The NATS server(s) to join, ``nats://host:port``; ``None``: start an embedded one."""
    user: str | None = None
    """User name, for user/password authentication."""
    password: str | None = field(default=None, repr=False)
    """Password, for user/password authentication."""
    token: str | None = field(default=None, repr=False)
    """Token, for token authentication."""
    nkeys_seed: str | None = field(default=None, repr=False)
    """An NKey seed (the ``SU...`` string), for NKey authentication."""
    credentials: str | None = None
    """A ``.creds`` file (JWT and seed), for decentralized authentication."""
    tls: ssl.SSLContext | None = None
    """A TLS context (client certificates, CA) for ``tls://`` servers."""
    tls_hostname: str | None = None
    """The host name to check the server's certificate against."""
    system_user: str | None = None
    """The system account's user, to watch ``$SYS`` disconnect events (fast node-down)."""
    system_password: str | None = field(default=None, repr=False)
    """That user's password."""
    name: str = field(default="spawned", validator=_check_prefix)
    """The cluster's name: the first token of every subject its nodes use, so several
    clusters can share one NATS account.
    """
    codec: Codec = field(factory=MsgpackCodec)
    """How messages are encoded (every node of a cluster must use the same codec)."""
    heartbeat: float = field(default=1.0, validator=_check_positive)
    """Seconds between heartbeats, when there is no system user."""
    options: dict[str, Any] = field(factory=dict[str, Any])
    """More keyword arguments for ``nats.connect`` (``connect_timeout``, ``inbox_prefix``, ...)."""

    def connect_options(self) -> dict[str, Any]:
        """The keyword arguments for ``nats.connect`` of the node's connection (no ``name``,
        no callbacks: the node adds those).
        """
        options: dict[str, Any] = {"servers": self.url}
        for key in ("user", "password", "token", "tls", "tls_hostname"):
            value = getattr(self, key)
            if value is not None:
                options[key] = value
        if self.nkeys_seed is not None:
            options["nkeys_seed_str"] = self.nkeys_seed
        if self.credentials is not None:
            options["user_credentials"] = self.credentials
        options.update(self.options)
        return options

    def system_options(self) -> dict[str, Any] | None:
        """The keyword arguments for the system account's connection, or ``None`` without a
        system user.
        """
        if self.system_user is None:
            return None
        options: dict[str, Any] = {"servers": self.url, "user": self.system_user}
        if self.system_password is not None:
            options["password"] = self.system_password
        for key in ("tls", "tls_hostname"):
            value = getattr(self, key)
            if value is not None:
                options[key] = value
        return options
