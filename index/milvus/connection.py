"""Where a Milvus index is, connecting to it, and every engine error as one clear message.

- ``milvus://HOST:PORT/NAME``: a Milvus server or cluster (``milvus-lite server``, or a real
  deployment); its token, if any, comes from ``$ARTICLE_QA_MILVUS_TOKEN``, never the URI.
- ``milvus-lite:PATH/FILE.db/NAME``: a Milvus Lite file, used by one process at a time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    IndexUnreachableError,
    MissingDependencyError,
)
from ..manifest import Manifest
from ..settings import MILVUS_TOKEN_VARIABLE as TOKEN_ENV
from ..settings import secret

CONNECT_TIMEOUT = 5.0
WRITE_TIMEOUT = 300  # an int: pymilvus checks its index wait only for an int
"""Seconds a collection's creation (its indexes built) may take: an engine that stops answering
then fails the write, which leaves the index as it was, instead of waiting for ever."""
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,100}")
ADDRESS = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\[\]:/]+)):(?P<port>[0-9]+)")
STALE_LOCK_SECONDS = 6 * 3600
T = TypeVar("T")


@dataclass(frozen=True)
class Location:
    """A parsed index URI: what to connect to, and the index's name in the engine."""

    uri: str
    client_uri: str
    name: str
    lite_file: Path | None = None
    host: str = ""  # a server's (an IPv6 address without its brackets)
    port: int = 0

    @property
    def meta(self) -> str:
        return f"{self.name}__meta"


def parse(uri: str) -> Location:
    """Read ``milvus://HOST:PORT/NAME`` or ``milvus-lite:PATH/FILE.db/NAME``.

    HOST may be an IPv6 address in brackets (``[::1]``). A URI with credentials in it
    (``USER:PASSWORD@``) is refused without echoing them: they go in ``$ARTICLE_QA_MILVUS_TOKEN``.

    Raises:
        IndexNotFoundError: the URI is not one of these forms.
    """
    if uri.startswith("milvus://"):
        if "@" in uri:  # no index name or host holds one: credentials
            shown = "milvus://…@" + uri.rpartition("@")[2]
            raise IndexNotFoundError(
                f"cannot read {shown}: credentials do not go in the index URI (any user of this "
                f"machine may read a command line); put them (USER:PASSWORD, or a token) in ${TOKEN_ENV}, "
                f"and write milvus://HOST:PORT/NAME",
                problem="credentials",
            )
        address, _, name = uri[len("milvus://") :].partition("/")
        found = ADDRESS.fullmatch(address)
        if found is None:
            raise IndexNotFoundError(
                f"cannot read {uri!r}: write milvus://HOST:PORT/NAME, e.g. milvus://127.0.0.1:19530/news "
                "(an IPv6 address in brackets: milvus://[::1]:19530/news)"
            )
        host, port = found["ipv6"] or found["host"], int(found["port"])
        if not 1 <= port <= 65535:
            raise IndexNotFoundError(
                f"cannot read {uri!r}: {found['port']} is not a port number (1 to 65535)", port=found["port"]
            )
        _check_name(uri, name)
        return Location(uri, f"http://{address}", name, host=host, port=port)
    path, _, name = uri[len("milvus-lite:") :].rpartition("/")
    if not path.endswith(".db"):
        raise IndexNotFoundError(
            f"cannot read {uri!r}: write milvus-lite:PATH/FILE.db/NAME, e.g. milvus-lite:news.db/news"
        )
    _check_name(uri, name)
    file = Path(path).expanduser().absolute()
    return Location(f"milvus-lite:{file}/{name}", str(file), name, file)


def _check_name(uri: str, name: str) -> None:
    if not NAME.fullmatch(name):
        raise IndexNotFoundError(
            f"cannot read {uri!r}: the index name {name!r} must be letters, digits and underscores "
            "(not starting with a digit)"
        )


def collection(name: str, epoch: int, suffix: str) -> str:
    return f"{name}__e{epoch}_{suffix}"


_clients: dict[str, Any] = {}


def connect(where: Location) -> Any:
    """A client of the engine (one per URI and process: a Lite file admits one process)."""
    # gRPC's native core logs keep-alive renegotiations with a Lite server to the terminal.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        import pymilvus
    except ImportError:
        raise MissingDependencyError(
            f"{where.uri} is a Milvus index: install the Milvus client with `pip install 'article-qa[milvus]'`",
            extra="milvus",
            package="pymilvus",
        ) from None
    # Every failed call is logged with a traceback otherwise, and a Lite file's in-process server
    # logs the calls it does not implement (pymilvus asks, then does without).
    for noisy in ("pymilvus", "milvus_lite", "grpc._server"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    client = _clients.get(where.client_uri)
    if client is not None:
        return client
    if where.lite_file is not None and not where.lite_file.parent.is_dir():
        raise IndexNotFoundError(
            f"no index at {where.uri}: the directory {where.lite_file.parent} does not exist"
        )
    if where.lite_file is None:
        _reachable(where)
    token = secret(TOKEN_ENV)
    try:
        client = pymilvus.MilvusClient(uri=where.client_uri, token=token, timeout=CONNECT_TIMEOUT)
    except Exception as exc:  # pymilvus raises several kinds for one cause
        if where.lite_file is not None and "Open local milvus failed" in str(exc):
            raise IndexLockedError(
                f"the Milvus Lite file {where.lite_file} is open in another process (a running serve?): "
                "Milvus Lite lets one process use a file; stop that process, or serve the file with "
                "`milvus-lite server` and use a milvus:// URI"
            ) from None
        raise _unreachable(where, exc) from None
    _clients[where.client_uri] = client
    return client


def _reachable(where: Location) -> None:
    """Fail at once, in one line, when nothing listens at a server's address."""
    try:
        with socket.create_connection((where.host, where.port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise _unreachable(where, exc) from None
    if ":" in where.host:
        raise IndexUnreachableError(
            f"cannot use Milvus at {where.uri}: its client (pymilvus) does not connect to an IPv6 "
            "address; give a host name that leads to it (localhost, say) instead",
            host=where.host,
        )


def _unreachable(where: Location, exc: BaseException) -> IndexUnreachableError:
    reason = getattr(exc, "message", None) or getattr(exc, "strerror", None) or str(exc)
    return IndexUnreachableError(
        f"cannot reach Milvus for {where.uri} ({reason}): start the server or check the address; "
        "nothing was changed"
    )


def call(where: Location, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``method(*args, **kwargs)`` with the engine's errors as one-line QAErrors."""
    from pymilvus.exceptions import MilvusException

    try:
        return method(*args, **kwargs)
    except MilvusException as exc:
        if exc.code == 2:  # the connection
            raise _unreachable(where, exc) from None
        raise IndexDamagedError(
            f"Milvus failed on {where.uri} ({exc.message}); if the index is incomplete, rebuild it"
        ) from None


def read_head(where: Location, client: Any) -> tuple[dict[str, Any], Manifest]:
    """The head row (epoch, statistics) and the manifest it holds.

    Raises:
        IndexNotFoundError: the engine holds no index of that name.
        IndexDamagedError: the head cannot be read.
    """
    head = published_head(where, client)
    if head is None:
        raise IndexNotFoundError(
            f"no index at {where.uri}: build one with `article-qa index build SOURCE... --index {where.uri}`"
        )
    return head, Manifest.parse(head["manifest"], where.uri, what="its head row")


def published_head(where: Location, client: Any) -> dict[str, Any] | None:
    """The head row (its epoch checked), or None where nothing was ever published.

    Raises:
        IndexDamagedError: there is a head row, but it cannot be read.
    """
    if not call(where, client.has_collection, where.meta):
        return None
    call(where, client.load_collection, where.meta)  # a restarted engine has its collections released
    rows = call(where, client.get, where.meta, ids=["head"])
    if not rows:
        return None
    try:
        head = json.loads(rows[0]["value"])
        if not isinstance(head, dict) or "manifest" not in head:
            raise ValueError("it holds no manifest")
        int(head["epoch"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexDamagedError(
            f"index at {where.uri} is damaged: its head row cannot be read ({exc})"
        ) from None
    return head


def ensure_meta(where: Location, client: Any) -> None:
    from .schema import meta_schema

    if not call(where, client.has_collection, where.meta):
        schema, params = meta_schema()
        call(
            where,
            client.create_collection,
            where.meta,
            schema=schema,
            index_params=params,
            timeout=WRITE_TIMEOUT,
        )
    call(where, client.load_collection, where.meta)


def put(where: Location, client: Any, key: str, value: str) -> None:
    call(where, client.upsert, where.meta, data=[{"key": key, "value": value, "dummy": [0.0, 0.0]}])


@contextlib.contextmanager
def writer_lock(where: Location, client: Any) -> Iterator[None]:
    """A lock row in ``NAME__meta``: a second writer gets :class:`IndexLockedError` at once.

    A lock left by a writer that died (its process gone from this host, or older than six
    hours) is taken over.
    """
    ensure_meta(where, client)
    rows = call(where, client.get, where.meta, ids=["lock"])
    if rows and not _stale(json.loads(rows[0]["value"])):
        holder = json.loads(rows[0]["value"])
        raise IndexLockedError(
            f"another build or update (pid {holder.get('pid')} on {holder.get('host')}) is writing to "
            f"{where.uri}; wait for it to finish, then run yours again"
        )
    token = uuid.uuid4().hex
    mine = {"token": token, "pid": os.getpid(), "host": socket.gethostname(), "at": time.time()}
    put(where, client, "lock", json.dumps(mine))
    rows = call(where, client.get, where.meta, ids=["lock"])
    if not rows or json.loads(rows[0]["value"]).get("token") != token:
        raise IndexLockedError(
            f"another build or update took {where.uri} at the same moment; run yours again"
        )
    try:
        yield
    finally:
        rows = call(where, client.get, where.meta, ids=["lock"])
        if rows and json.loads(rows[0]["value"]).get("token") == token:
            call(where, client.delete, where.meta, ids=["lock"])


def _stale(holder: dict[str, Any]) -> bool:
    if time.time() - float(holder.get("at", 0)) > STALE_LOCK_SECONDS:
        return True
    if holder.get("host") != socket.gethostname():
        return False
    try:
        pid = int(holder.get("pid", 0))
        if pid <= 0:
            return True
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False
