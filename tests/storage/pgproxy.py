"""A TCP proxy between asyncpg and PostgreSQL that can lose one COMMIT, or its answer.

It forwards bytes both ways and reads only the wire protocol's framing (a type byte and a
length), enough to see the statements of each transaction: a ``Parse`` names its text, a
``Bind`` refers to it by statement name (asyncpg reuses prepared statements), and asyncpg
sends BEGIN and COMMIT as simple ``Query`` messages. Armed, it picks the COMMIT of the next
transaction that ran a statement mentioning a marker (a table name) and either never sends
it on (:attr:`Drop.BEFORE`) or sends it and swallows the server's ``CommandComplete``
(:attr:`Drop.AFTER`): then it closes both sides, as a network fault would.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

_NEGOTIATIONS = (80877103, 80877104)  # SSLRequest, GSSENCRequest: answered "N" here


class Drop(enum.Enum):
    """Where the armed COMMIT is lost."""

    BEFORE = "before"  # the server never sees it: nothing committed
    AFTER = "after"  # the server commits, the client never hears so


@dataclass(eq=False)
class _Link:
    """One client connection and its server connection."""

    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    swallow: bool = False  # the next CommandComplete from the server ends the link
    refuse: bool = False  # ... and then the proxy refuses every connection
    statements: dict[bytes, bytes] = field(default_factory=dict)
    current: list[bytes] = field(default_factory=list)  # this transaction's statements

    def cut(self) -> None:
        self.client.close()
        self.server.close()


async def _message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    kind = await reader.readexactly(1)
    header = await reader.readexactly(4)
    body = await reader.readexactly(int.from_bytes(header, "big") - 4)
    return kind, header + body


def _cstring(data: bytes, skip: int = 0) -> bytes:
    """The ``skip``-th NUL-terminated string of ``data``."""
    return data.split(b"\0", skip + 1)[skip]


class PgProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._links: set[_Link] = set()
        self._armed: tuple[Drop, bytes, bool] | None = None
        self.refusing = False  # close new connections at once, as a server that is down
        self.queries: list[bytes] = []  # every simple Query seen, in order
        self.dropped: list[Drop] = []

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, database_url: str) -> str:
        """``database_url`` pointed at this proxy."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port) \
            .render_as_string(hide_password=False)

    def arm(self, drop: Drop, marker: str, *, then_refuse: bool = False) -> None:
        """Lose the COMMIT of the next transaction whose statements mention ``marker``.

        ``then_refuse``: from that moment on, every connection is cut and new ones refused
        (the server looks down) until :meth:`accept_again`.
        """
        self._armed = (drop, marker.encode(), then_refuse)

    def refuse(self) -> None:
        """Cut every connection and refuse new ones."""
        self.refusing = True
        for link in list(self._links):
            link.cut()

    def accept_again(self) -> None:
        self.refusing = False

    async def start(self) -> PgProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.close()
            return
        server_reader, server_writer = await asyncio.open_connection(*self._upstream)
        link = _Link(writer, server_writer)
        self._links.add(link)
        try:
            await self._startup(reader, link)
            pumps = [asyncio.create_task(self._from_client(reader, link)),
                     asyncio.create_task(self._from_server(server_reader, link))]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._links.discard(link)
            link.cut()

    async def _startup(self, reader: asyncio.StreamReader, link: _Link) -> None:
        """Pass the untyped startup message on, refusing TLS and GSS so the rest is readable."""
        while True:
            header = await reader.readexactly(4)
            body = await reader.readexactly(int.from_bytes(header, "big") - 4)
            if int.from_bytes(body[:4], "big") in _NEGOTIATIONS:
                link.client.write(b"N")
                continue
            link.server.write(header + body)
            return

    async def _from_client(self, reader: asyncio.StreamReader, link: _Link) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                kind, rest = await _message(reader)
                if self._lose(kind, rest[4:], link):
                    return
                link.server.write(kind + rest)
                await link.server.drain()

    async def _from_server(self, reader: asyncio.StreamReader, link: _Link) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                kind, rest = await _message(reader)
                if link.swallow and kind == b"C":  # the COMMIT's CommandComplete
                    self.dropped.append(Drop.AFTER)
                    if link.refuse:
                        self.refuse()
                    return
                link.client.write(kind + rest)
                await link.client.drain()

    def _lose(self, kind: bytes, body: bytes, link: _Link) -> bool:
        """Note what the client runs; True when this message is the COMMIT never to pass."""
        if kind == b"P":
            link.statements[_cstring(body)] = _cstring(body, 1)
            link.current.append(_cstring(body, 1))
        elif kind == b"B":
            link.current.append(link.statements.get(_cstring(body, 1), b""))
        elif kind == b"Q":
            query = _cstring(body)
            self.queries.append(query)
            if query.upper().startswith(b"BEGIN"):
                link.current = []
            elif query.upper().startswith(b"COMMIT") and self._armed is not None:
                drop, marker, refuse = self._armed
                if any(marker in statement for statement in link.current):
                    self._armed = None
                    if drop is Drop.BEFORE:
                        self.dropped.append(drop)
                        return True
                    link.swallow, link.refuse = True, refuse
        return False
