# ruff: noqa: S106 - made-up credentials
from __future__ import annotations

import ssl

import pytest

from spawned.cluster import Cluster, EmbeddedServer


def test_credentials_pass_through_to_nats_connect() -> None:
    context = ssl.create_default_context()
    cluster = Cluster(
        node="a",
        url=["tls://one:4222", "tls://two:4222"],
        token="t0ken",
        nkeys_seed="SUAEXAMPLE",
        credentials="/etc/nats/node.creds",
        tls=context,
        tls_hostname="nats.example",
        options={"connect_timeout": 3},
    )
    assert cluster.connect_options() == {
        "servers": ["tls://one:4222", "tls://two:4222"],
        "token": "t0ken",
        "nkeys_seed_str": "SUAEXAMPLE",
        "user_credentials": "/etc/nats/node.creds",
        "tls": context,
        "tls_hostname": "nats.example",
        "connect_timeout": 3,
    }
    assert cluster.system_options() is None


def test_the_system_user_gets_a_connection_of_its_own() -> None:
    cluster = Cluster(
        node="a", url="nats://h:4222", user="u", password="p", system_user="s", system_password="q"
    )
    assert cluster.connect_options() == {"servers": "nats://h:4222", "user": "u", "password": "p"}
    assert cluster.system_options() == {"servers": "nats://h:4222", "user": "s", "password": "q"}


def test_secrets_stay_out_of_the_repr() -> None:
    text = repr(
        Cluster(node="a", password="secret1", token="secret2", nkeys_seed="secret3", system_password="x9")
    )
    assert "secret" not in text
    assert "x9" not in text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"node": "a.b"}, r"'\.' separates NATS subject tokens"),
        ({"node": ""}, "bad node name"),
        ({"node": 3}, "a node name must be a str"),
        ({"node": "a", "name": "x.y"}, "bad cluster name"),
        ({"node": "a", "heartbeat": 0}, "heartbeat must be a number of seconds > 0"),
    ],
)
def test_bad_fields_are_refused_naming_them(fields: dict[str, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        Cluster(**fields)  # type: ignore[arg-type]


def test_an_embedded_server_gives_the_cluster_of_a_node() -> None:
    server = EmbeddedServer()
    cluster = server.cluster("n", name="other")
    assert (cluster.node, cluster.name, cluster.url, cluster.user) == ("n", "other", server.url, server.user)
    assert cluster.system_user == server.system_user
