"""Maelstrom's error codes as exceptions (see Maelstrom's ``doc/protocol.md``, "Errors")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class MaelstromError(Exception):
    """An error a Maelstrom node replies with, or receives in reply to an RPC.

    Raise a subclass in a message handler and the node replies with an ``error`` body that
    carries its ``code`` and ``text``; an RPC whose reply is an ``error`` raises the subclass
    for that code. ``definite`` says whether the operation certainly did not happen.

    Attributes:
        code: Maelstrom's numeric error code.
        text: a human-readable explanation.
        definite: the operation certainly did not take place.
        extra: any other fields of the error body, as received.
    """

    code: ClassVar[int] = 13
    name: ClassVar[str] = "crash"
    definite: ClassVar[bool] = False
    text: str
    extra: dict[str, Any]

    def __init__(self, text: str = "", **extra: Any) -> None:
        super().__init__(text or self.name)
        self.text = text or self.name
        self.extra = extra

    def to_body(self) -> dict[str, Any]:
        """The ``error`` body that reports this error (without ``in_reply_to``)."""
        return {**self.extra, "type": "error", "code": self.code, "text": self.text}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class Timeout(MaelstromError):
    """Code 0: the operation did not complete in time (an RPC's timeout elapsed). Indefinite."""

    code = 0
    name = "timeout"


class NodeNotFound(MaelstromError):
    """Code 1: the message was addressed to a node that does not exist (here). Definite."""

    code = 1
    name = "node-not-found"
    definite = True


class NotSupported(MaelstromError):
    """Code 10: the node has no handler for this message type. Definite."""

    code = 10
    name = "not-supported"
    definite = True


class TemporarilyUnavailable(MaelstromError):
    """Code 11: the operation cannot be performed now (for example before ``init``). Definite."""

    code = 11
    name = "temporarily-unavailable"
    definite = True


class MalformedRequest(MaelstromError):
    """Code 12: the request's body is not what its type requires. Definite."""

    code = 12
    name = "malformed-request"
    definite = True


class Crash(MaelstromError):
    """Code 13: the handler failed with an unexpected exception. Indefinite."""

    code = 13
    name = "crash"


class Abort(MaelstromError):
    """Code 14: the operation was aborted and did not take place. Definite."""

    code = 14
    name = "abort"
    definite = True


class KeyDoesNotExist(MaelstromError):
    """Code 20: the key read (or compare-and-set) is not in the store. Definite."""

    code = 20
    name = "key-does-not-exist"
    definite = True


class KeyAlreadyExists(MaelstromError):
    """Code 21: the key to create is already in the store. Definite."""

    code = 21
    name = "key-already-exists"
    definite = True


class PreconditionFailed(MaelstromError):
    """Code 22: a compare-and-set found another value than ``from``. Definite."""

    code = 22
    name = "precondition-failed"
    definite = True


class TxnConflict(MaelstromError):
    """Code 30: the transaction conflicted with another and was aborted. Definite."""

    code = 30
    name = "txn-conflict"
    definite = True


ERRORS: Mapping[int, type[MaelstromError]] = {
    cls.code: cls
    for cls in (
        Timeout,
        NodeNotFound,
        NotSupported,
        TemporarilyUnavailable,
        MalformedRequest,
        Crash,
        Abort,
        KeyDoesNotExist,
        KeyAlreadyExists,
        PreconditionFailed,
        TxnConflict,
    )
}


class UnknownError(MaelstromError):
    """An error reply whose code Maelstrom does not define; ``code`` holds what was received."""

    name = "unknown"

    def __init__(self, code: int, text: str = "", **extra: Any) -> None:
        super().__init__(text or f"error code {code}", **extra)
        self.code = code  # pyright: ignore[reportAttributeAccessIssue] - per instance on purpose

    def to_body(self) -> dict[str, Any]:
        """The ``error`` body that reports this error (without ``in_reply_to``)."""
        return {**self.extra, "type": "error", "code": self.code, "text": self.text}


def error_from_body(body: Mapping[str, Any]) -> MaelstromError:
    """The exception for an ``error`` body: the subclass for its ``code``."""
    extra = {k: v for k, v in body.items() if k not in {"type", "code", "text", "in_reply_to", "msg_id"}}
    code = body.get("code")
    text = str(body.get("text", ""))
    cls = ERRORS.get(code) if isinstance(code, int) else None
    if cls is None:
        return UnknownError(code if isinstance(code, int) else -1, text, **extra)
    return cls(text, **extra)
