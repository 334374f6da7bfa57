"""Which addresses a fetch may connect to, and the connections that hold to it.

A URL's host is resolved when the connection is made, every address it resolves to is checked,
and the connection goes to an address that was checked (so a DNS answer cannot change between
the check and the connection, and every redirect's host is checked the same way). Loopback,
private, link-local, multicast, reserved and unspecified addresses are refused unless the
operator allows them (``--allow-private-urls``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any, cast


def allowed_address(address: str, allow_private: bool) -> bool:
    """Whether a connection to the IP ``address`` is allowed: a public unicast address, or any
    address when ``allow_private`` (loopback, private, link-local, multicast, reserved and
    unspecified ones are refused otherwise; an IPv4 address written as IPv6 is read as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return True
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class Refused(OSError):
    """A connection the address check refused (raised inside httpcore, mapped back by the fetcher)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def guarded_transport(allow_private: bool) -> Any:
    """An httpx transport whose connections go only to addresses :func:`allowed_address` allows."""
    import httpcore
    import httpx

    transport = httpx.HTTPTransport(trust_env=False)
    pool = transport._pool  # httpx keeps its httpcore pool here; give it a checked network backend
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - a future httpx
        raise RuntimeError("httpx's transport has changed: the address check cannot be installed")
    transport._pool = httpcore.ConnectionPool(
        ssl_context=pool._ssl_context, network_backend=cast(Any, _GuardedBackend(allow_private))
    )
    return transport


class _GuardedBackend:
    """httpcore's network backend, resolving the host itself and connecting only to an address
    it allowed (so a DNS answer cannot change between the check and the connection)."""

    def __init__(self, allow_private: bool) -> None:
        import httpcore

        self._inner = httpcore.SyncBackend()
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise Refused(f"{host}: the name cannot be resolved ({exc.strerror})", "unresolved") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        refused = [a for a in addresses if not allowed_address(a, self.allow_private)]
        if refused:
            raise Refused(
                f"{host} resolves to {refused[0]}, a loopback, private, link-local or reserved "
                "address; it is not fetched (an operator can allow it with --allow-private-urls)",
                "private_address",
            )
        last: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except Exception as exc:  # the next address, as socket.create_connection does
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise Refused("Unix sockets are not fetched", "scheme")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
