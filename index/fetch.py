"""Fetching pages and feeds safely and politely: with :mod:`index.addresses`, the only code that
reaches the network.

Nothing is fetched unless a source names a URL. Every request:

- goes only to ``http``/``https`` URLs; ``file:`` and every other scheme are refused;
- connects only to a public address unless the operator allows private ones
  (``allow_private``): the host is resolved and *each* address checked when the connection is
  made (:mod:`index.addresses`), so a redirect to, or a DNS answer naming, a loopback,
  private, link-local, multicast or reserved address is refused, and the connection goes to
  the address that was checked;
- has a timeout, a size limit (the body is read in pieces and dropped past it), a list of
  accepted content types and a redirect limit; it is retried, with a growing delay, only after
  a timeout or a 5xx answer;
- respects ``robots.txt`` (fetched once per host and kept a day; a 4xx answer allows everything, an
  unreachable one forbids the host, as RFC 9309 says), waits ``host_delay`` seconds between two
  requests to one host, and names the tool and its version in its User-Agent.

>>> fetcher = Fetcher(FetchPolicy())
>>> page = fetcher.get("https://example.org/article", accept=PAGE_TYPES)
>>> page.url, page.content_type, len(page.body)
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .addresses import Refused, guarded_transport
from .errors import QAError

PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
)
PDF_TYPES = ("application/pdf",)
DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
ANY_SOURCE = PAGE_TYPES + FEED_TYPES + PDF_TYPES + DOCX_TYPES
SCHEMES = ("http", "https")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("article-qa")
    except Exception:  # not installed (a checkout run in place)
        return "0"


USER_AGENT = f"article-qa/{_version()} (question answering over articles; respects robots.txt)"


class FetchError(QAError):
    """A URL that could not be fetched, and why in words; ``reason`` as data: ``scheme``,
    ``private_address``, ``unresolved``, ``robots``, ``timeout``, ``unreachable``, ``status``,
    ``too_large``, ``content_type``, ``redirects``, ``credentials``."""

    code = "fetch_failed"

    @property
    def reason(self) -> str:
        return str(self.data.get("reason", "unreachable"))


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how safely to fetch (the defaults are what ``article-qa`` uses)."""

    timeout: float = 20.0
    max_mb: float = 20.0
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 1.0  # seconds before the first retry; doubled each time
    host_delay: float = 1.0  # seconds between two requests to one host
    allow_private: bool = False
    robots: bool = True
    robots_ttl: float = 86_400.0  # seconds a host's robots.txt is kept (a refresher's fetcher lives long)
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """What a URL gave: the final URL (after redirects), the answer's status and type, the
    body, and what the next request may send to ask whether it changed."""

    url: str
    status: int
    content_type: str
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def redacted(source: str) -> str:
    """``source`` as it may be shown or kept: a URL without its user name and password."""
    parts = urlsplit(str(source))
    if "@" not in parts.netloc or "://" not in str(source):
        return str(source)
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def check_url(url: str) -> str:
    """``url`` if it is an ``http``/``https`` URL with a host.

    Raises:
        FetchError: another scheme (``file:``, ``ftp:``, ``javascript:``…) or no host (``scheme``).
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise FetchError(
            f"{redacted(url)}: only http and https URLs are read (give a file as a path, not a "
            f"{parts.scheme or 'bare'}: URL)",
            reason="scheme",
        )
    if parts.username is not None or parts.password is not None:
        raise FetchError(
            f"{redacted(url)}: a URL with a user name or password is not read (the index keeps and shows "
            "its sources' addresses, and a secret must not be kept or shown)",
            reason="credentials",
        )
    return url.strip()


class Fetcher:
    """Fetches URLs under a :class:`FetchPolicy`; one per build, update or refresh (it keeps each
    host's ``robots.txt`` and the time of its last request). Thread-safe."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        import httpx

        self.policy = policy or FetchPolicy()
        self._client = httpx.Client(
            transport=guarded_transport(self.policy.allow_private),
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the address check is on the target
            headers={"User-Agent": self.policy.user_agent},
        )
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        accept: Sequence[str] = ANY_SOURCE,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        """The answer to a GET of ``url``, redirects followed (each one checked like the first).

        With ``etag`` or ``last_modified`` the request is conditional: an unchanged resource
        gives a :class:`Fetched` whose ``not_modified`` is true and whose body is empty.

        Raises:
            FetchError: the URL is refused, cannot be reached, or its answer is not accepted
                (its message says which and what to do).
        """
        current = check_url(url)
        headers = {"Accept": ", ".join([*accept, "*/*;q=0.1"])}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.policy.max_redirects + 1):
            self._obey_robots(current)
            answer = self._with_retries(current, headers)
            if answer.status in (301, 302, 303, 307, 308):
                target = answer.headers.get("location")
                if not target:
                    raise FetchError(f"{current}: a redirect without a Location header", reason="status")
                current = check_url(urljoin(current, target))
                continue
            if answer.status == 304:
                return answer
            if answer.status >= 400:
                raise FetchError(
                    f"{current}: the server answered {answer.status}; check the address, or try later",
                    reason="status",
                    status=answer.status,
                )
            if not _accepted(answer.content_type, accept):
                raise FetchError(
                    f"{current}: the server sent {answer.content_type or 'no content type'}, "
                    f"not an article, feed or document ({', '.join(accept)})",
                    reason="content_type",
                )
            return answer
        raise FetchError(
            f"{url}: more than {self.policy.max_redirects} redirects (a loop?); not followed",
            reason="redirects",
        )

    # -- one request ---------------------------------------------------------------------

    def _with_retries(self, url: str, headers: dict[str, str]) -> Fetched:
        delay = self.policy.backoff
        for attempt in range(self.policy.retries + 1):
            last = attempt == self.policy.retries
            try:
                answer = self._once(url, headers)
            except FetchError as exc:
                if exc.reason != "timeout" or last:
                    raise
            else:
                if answer.status < 500 or last:
                    return answer
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, headers: dict[str, str]) -> Fetched:
        import httpx

        self._wait_for_host(url)
        limit = int(self.policy.max_mb * 1_000_000)
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(url, self.policy.max_mb)
                body = bytearray()
                if response.status_code < 300:
                    for piece in response.iter_bytes():
                        body += piece
                        if len(body) > limit:
                            raise _too_large(url, self.policy.max_mb)
                return Fetched(
                    url=str(response.url),
                    status=response.status_code,
                    content_type=content_type,
                    body=bytes(body),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except FetchError:
            raise
        except httpx.TimeoutException:
            raise FetchError(
                f"{url}: no answer within {self.policy.timeout:g} s; try later", reason="timeout"
            ) from None
        except Refused as exc:
            raise FetchError(str(exc), reason=exc.code) from None
        except httpx.HTTPError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, Refused):
                raise FetchError(str(cause), reason=cause.code) from None
            raise FetchError(
                f"{url}: cannot be reached ({type(exc).__name__}: {exc})", reason="unreachable"
            ) from None

    def _wait_for_host(self, url: str) -> None:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            wait = self._last.get(host, -1e9) + self.policy.host_delay - time.monotonic()
            self._last[host] = time.monotonic() + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)

    # -- robots.txt ------------------------------------------------------------------------

    def _obey_robots(self, url: str) -> None:
        if not self.policy.robots:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        read_at, rules = self._robots.get(origin, (-1e18, None))
        if time.monotonic() - read_at > self.policy.robots_ttl:
            rules = self._read_robots(origin)
            # an unreachable robots.txt is asked again after a few minutes, not a day
            kept = time.monotonic() - (0.0 if rules is not None else self.policy.robots_ttl - 300)
            self._robots[origin] = (kept, rules)
        if rules is None:
            raise FetchError(
                f"{url}: {origin}/robots.txt cannot be read, so the site is not fetched (RFC 9309); try later",
                reason="robots",
            )
        if not rules.can_fetch(self.policy.user_agent, url):
            raise FetchError(f"{url}: the site's robots.txt does not allow fetching it", reason="robots")

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        rules = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            answer = self._with_retries(origin + "/robots.txt", {"Accept": "text/plain"})
        except FetchError as exc:
            if exc.reason in ("private_address", "scheme", "unresolved", "unreachable", "timeout"):
                raise  # the host itself cannot (or may not) be reached: say that, not robots.txt
            return None
        if answer.status >= 500:
            return None
        if answer.status >= 400 or answer.status in (301, 302, 303, 307, 308):
            rules.parse([])  # no robots.txt: everything is allowed
        else:
            rules.parse(answer.body.decode("utf-8", "replace").splitlines())
        return rules


def _accepted(content_type: str, accept: Iterable[str]) -> bool:
    if not content_type or content_type in accept:
        return True
    return content_type.endswith(("+xml", "/xml")) and any(a.endswith("xml") for a in accept)


def _too_large(url: str, max_mb: float) -> FetchError:
    return FetchError(f"{url}: larger than {max_mb:g} MB; not read", reason="too_large")
