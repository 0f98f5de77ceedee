"""A chat room: members share a duplicate key in a Registry; a message to the room is
dispatched to every member.

Run: python examples/chat_room.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from typing import Any

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import Caller, GenServer, Registry, Reply, tasks, threads


@frozen
class Say:
    """Ask a member to say ``text`` to its room (a call: it returns once delivered)."""

    text: str


@frozen
class Said:
    """What every member of ``room`` receives, the speaker included."""

    room: str
    speaker: str
    text: str


class Member(GenServer[Say | str, None, Any]):
    """One person in one room; remembers what others said."""

    def __init__(self, rooms: Registry[str, str], room: str, nick: str) -> None:
        self.rooms = rooms
        self.room = room
        self.nick = nick

    def init(self) -> None:
        self.heard: list[str] = []
        self.rooms.register(self.room, self.nick)

    def handle_call(self, msg: Say | str, caller: Caller[Any]) -> Reply[Any]:
        match msg:
            case Say(text):
                said = Said(self.room, self.nick, text)
                self.rooms.dispatch(self.room, lambda members: [h.send(said) for h, _ in members])
                return Reply("sent")
            case _:
                return Reply(list(self.heard))

    def handle_info(self, msg: object) -> None:
        match msg:
            case Said(_, speaker, text) if speaker != self.nick:
                self.heard.append(f"{speaker}: {text}")
            case _:
                pass


# --8<-- [end:server]


# --8<-- [start:helpers]
def who(rooms: Registry[str, str], room: str) -> str:
    return ", ".join(sorted(nick for _, nick in rooms.lookup(room)))


def report(nick: str, heard: list[str]) -> None:
    print(f"{nick} heard:", " | ".join(heard) or "nothing")


PEOPLE = [("lobby", "alice"), ("lobby", "bob"), ("lobby", "carol"), ("kitchen", "dave")]
# --8<-- [end:helpers]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    rooms: Registry[str, str] = Registry(keys="duplicate")
    members = {nick: await tasks.start(Member(rooms, room, nick)) for room, nick in PEOPLE}
    print("lobby:", who(rooms, "lobby"))
    print("kitchen:", who(rooms, "kitchen"))
    await members["alice"].call(Say("hi all"))
    await members["bob"].call(Say("hello alice"))
    for nick, member in members.items():
        report(nick, await member.call("heard"))
    await members["bob"].stop()
    print("bob left; lobby:", who(rooms, "lobby"))
    print("entries:", rooms.count())


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    rooms: Registry[str, str] = Registry(keys="duplicate")
    members = {nick: threads.start(Member(rooms, room, nick)) for room, nick in PEOPLE}
    print("lobby:", who(rooms, "lobby"))
    print("kitchen:", who(rooms, "kitchen"))
    members["alice"].call(Say("hi all"))
    members["bob"].call(Say("hello alice"))
    for nick, member in members.items():
        report(nick, member.call("heard"))
    members["bob"].stop()
    print("bob left; lobby:", who(rooms, "lobby"))
    print("entries:", rooms.count())


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
lobby: alice, bob, carol
kitchen: dave
alice heard: bob: hello alice
bob heard: alice: hi all
carol heard: alice: hi all | bob: hello alice
dave heard: nothing
bob left; lobby: alice, carol
entries: 3
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
