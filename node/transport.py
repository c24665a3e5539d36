"""The node's only way to reach the hub: JSON over HTTP with the standard library.

Kept deliberately small so tests can swap it for an object with the same
``request()`` (e.g. one driving a Flask test client) and so a Pi needs no extra
HTTP library. Every network failure becomes :class:`HubUnreachable`; an HTTP
answer, even a 4xx/5xx one, is returned to the caller, which decides what it means.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any, Protocol

from core.errors import LoketError


class HubUnreachable(LoketError, OSError):
    """The hub did not answer (refused, timed out, reset, or garbage on the wire)."""


class Transport(Protocol):
    """What the sync client and the roles need from a transport."""

    def request(
        self, method: str, path: str, json: dict | None = None, timeout: float | None = None
    ) -> tuple[int, dict]: ...


class HttpTransport:
    """JSON requests to ``base_url`` with a bearer token.

    >>> t = HttpTransport("http://hub.local:8080", "secret", timeout=0.8)
    >>> t.request("GET", "/healthz")            # doctest: +SKIP
    (200, {'ok': True, 'hub_epoch': '...', 'last_hseq': 42})
    """

    def __init__(self, base_url: str, token: str | None, timeout: float = 0.8):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        json: dict | None = None,  # noqa: A002 - mirrors the contract's keyword
        timeout: float | None = None,
    ) -> tuple[int, dict]:
        data = None
        headers = {"Accept": "application/json"}
        if json is not None:
            data = _dumps(json)
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        wait = self.timeout if timeout is None else timeout
        try:
            with urllib.request.urlopen(req, timeout=wait) as resp:
                return resp.status, _loads(resp.read())
        except urllib.error.HTTPError as err:
            # An answer from the hub (4xx/5xx): the caller decides; read the body
            # so the error slug reaches it, and close the response either way.
            with err:
                body = err.read()
            return err.code, _loads(body, fallback={"error": "http_error", "message": str(err)})
        except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
            raise HubUnreachable(f"{method} {path}: {err}") from err
        except (http.client.HTTPException, OSError, ValueError) as err:
            raise HubUnreachable(f"{method} {path}: {err!r}") from err


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _loads(raw: bytes, fallback: dict | None = None) -> dict:
    if not raw:
        return fallback or {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        if fallback is not None:
            return fallback
        raise HubUnreachable(f"hub answered with something that is not JSON: {err}") from err
    return body if isinstance(body, dict) else {"value": body}
