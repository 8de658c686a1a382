"""The API's body and connection limits, over real sockets, with short timeouts.

``body_guard``: no body is read before the credentials are checked, none over 1 MiB (413 in
the v4 envelope, which the official SDK raises as a status error). ``connection_guard``:
headers and bodies that do not arrive in time close the connection, and over the cap the
connection that waited longest on its client is closed so a newcomer is served.
"""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import cloudflare
import pytest
from api_support import ACCOUNT, ADMIN, TOKEN, Api, api, api_server, unchanged

from acns_dns.api import create_app
from acns_dns.api.body_guard import BODY_TOO_LARGE, MAX_BODY
from acns_dns.api.connection_guard import HEADER_TIMEOUT, ConnectionLimits
from acns_dns.api.http_server import ApiServer
from acns_dns.dns.server import new_event_loop
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

__all__ = ["api", "api_server"]
CUSTOM_NS = f"/client/v4/accounts/{ACCOUNT}/custom_ns"
SHORT = ConnectionLimits(header_timeout=0.5, body_timeout=0.5)
BOUND = 10.0  # seconds any socket read here may wait: a server that never closes fails the test


@contextmanager
def guarded(limits: ConnectionLimits) -> Iterator[ApiServer]:
    """The default world's API served as ``serve`` serves it, under ``limits``."""
    loop = new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="api-test-loop", daemon=True)
    thread.start()
    app = create_app(Registry(scenario.load("default")), admin_token=ADMIN)
    server = ApiServer(app, "127.0.0.1", 0, limits=limits)
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(BOUND)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(BOUND)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(BOUND)
        loop.close()


def _connect(server: ApiServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=BOUND)
    return sock


def _request(sock: socket.socket, path: str = CUSTOM_NS) -> bytes:
    """One keep-alive GET with the token; the whole reply."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply or not reply.endswith(b"}"):
        data = sock.recv(65536)
        assert data, "the server closed instead of answering"
        reply += data
    return reply


def _closed(sock: socket.socket) -> bool:
    """True when the server closes the connection (waits at most BOUND for it)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _trickle(sock: socket.socket, data: bytes, pause: float = 0.05) -> int:
    """Send ``data`` a byte at a time; how many bytes went before the server closed."""
    for sent in range(len(data)):
        try:
            sock.send(data[sent:sent + 1])
        except (BrokenPipeError, ConnectionResetError):
            return sent
        time.sleep(pause)
    return len(data)


# --- bodies ----------------------------------------------------------------------------------

def test_a_body_over_1_mib_with_a_valid_token_gets_413_through_the_sdk(api: Api) -> None:
    with unchanged(api.registry), pytest.raises(cloudflare.APIStatusError) as refused:
        api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="ns9.example.com",
                                            extra_body={"padding": "x" * (2 * MAX_BODY)})
    assert refused.value.status_code == 413
    body = refused.value.body
    assert isinstance(body, dict) and body["success"] is False and body["result"] is None
    [error] = body["errors"]
    assert error["code"] == BODY_TOO_LARGE
    assert error["message"].endswith(f"bytes is larger than {MAX_BODY} bytes, the API's limit")


def test_a_body_under_the_limit_is_read_as_before(api: Api) -> None:
    made = api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="ns9.example.com",
                                               extra_body={"padding": "x" * (MAX_BODY // 2)})
    assert made is not None and made.ns_name == "ns9.example.com"


def test_an_unknown_token_gets_401_not_a_body_error(api: Api) -> None:
    # the old server parsed the body first: an invalid one got 400 before the token was looked at
    answer = api.http("no-such-token").post(CUSTOM_NS, content=b"{not json",
                                            headers={"Content-Type": "application/json"})
    assert answer.status_code == 401
    assert answer.json()["errors"] == [
        {"code": 10000, "message": "Authentication error: unknown API token or key"}]


def test_a_token_created_at_run_time_may_send_a_body_at_once(api: Api) -> None:
    made = api.http(ADMIN).post("/sim/accounts", json={"name": "Fresh", "token": "fresh-token"})
    assert made.status_code == 200
    account = made.json()["result"]["id"]
    created = api.http("fresh-token").post(f"/client/v4/accounts/{account}/custom_ns",
                                           json={"ns_name": "ns1.fresh.example", "ns_set": 1})
    assert created.status_code == 200, created.text  # the guard read the world as it is now


def _chunked_post(server: ApiServer, token: str | None, chunks: int) -> bytes:
    """POST a chunked body of at most ``chunks`` x 64 KiB and never its last chunk; the reply
    (a server that waits for the end of the body answers nothing within BOUND)."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    piece = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
    with _connect(server) as sock:
        sock.sendall(f"POST {CUSTOM_NS} HTTP/1.1\r\nHost: api\r\n{auth}Content-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        reply, sent = b"", 0
        while sent < chunks and not reply:
            try:
                sock.sendall(piece)
                sent += 1
                if select.select([sock], [], [], 0)[0]:
                    reply = sock.recv(65536)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(BOUND)
        while reply.count(b"}") < 2:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    return reply


def test_a_chunked_body_is_cut_off_with_413_once_past_the_limit() -> None:
    chunks = 4 * MAX_BODY // 0x10000  # 4 MiB, never finished
    with guarded(ConnectionLimits()) as server:
        reply = _chunked_post(server, TOKEN, chunks)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:300]
    assert f'"code":{BODY_TOO_LARGE}'.encode() in reply  # and the body never ended: no last chunk


def test_an_unauthenticated_chunked_body_gets_401_unread() -> None:
    with guarded(ConnectionLimits()) as server:
        reply = _chunked_post(server, None, 64)
    assert reply.startswith(b"HTTP/1.1 401 "), reply[:300]  # the body never ended


def test_every_route_that_takes_a_body_declares_credentials(api: Api) -> None:
    document = api.http(None).get("/openapi.json").json()
    with_body = [(method, path) for path, operations in document["paths"].items()
                 for method, operation in operations.items() if "requestBody" in operation]
    assert with_body, "the API takes bodies somewhere"
    for method, path in with_body:
        assert document["paths"][path][method].get("security"), f"{method} {path}: a body, no credentials"


def test_public_pages_answer_without_credentials_but_read_no_body_from_strangers(api: Api) -> None:
    client = api.http(None)
    for path in ("/", "/docs", "/openapi.json", "/static/page.js"):
        assert client.get(path).status_code in (200, 404), path
    assert client.get("/").status_code == 200
    refused = client.post("/", content=b"x" * 1000)
    assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == 10000


# --- connections -----------------------------------------------------------------------------

def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout() -> None:
    with guarded(SHORT) as server, _connect(server) as silent:
        assert _closed(silent)


def test_slowloris_headers_are_cut_off_after_the_header_timeout() -> None:
    header = b"GET / HTTP/1.1\r\nHost: api\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with guarded(SHORT) as server, _connect(server) as slow:
        sent = _trickle(slow, header)  # 0.05 s a byte: 12 s for all of it
    assert sent < len(header)


def test_a_trickled_body_is_cut_off_after_the_body_timeout() -> None:
    head = (f"POST {CUSTOM_NS} HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n").encode()
    with guarded(SHORT) as server, _connect(server) as slow:
        slow.sendall(head)
        sent = _trickle(slow, b'{"ns_name": "' + b"a" * 187)
    assert sent < 200


def test_an_unread_body_is_dropped_only_up_to_max_discard_then_the_connection_closes() -> None:
    limits = ConnectionLimits(header_timeout=BOUND, body_timeout=BOUND, max_discard=64 * 1024)
    announced, piece = 300 * 1024 * 1024, b"a" * 65536
    with guarded(limits) as server, _connect(server) as sock:
        sock.sendall(f"POST {CUSTOM_NS} HTTP/1.1\r\nHost: api\r\nContent-Length: {announced}\r\n\r\n"
                     .encode())
        reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 401 ")
        sent = 0
        while sent < 64 * 1024 * 1024:  # bounded: 64 MiB
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
    assert sent < 64 * 1024 * 1024, "the server kept reading a body it had refused"


def test_over_the_cap_the_connection_idle_longest_is_closed_and_the_newcomer_served() -> None:
    cap = 8
    with guarded(ConnectionLimits(max_connections=cap, header_timeout=BOUND * 3)) as server:
        idle = [_connect(server) for _ in range(cap)]
        try:
            for sock in idle:
                assert b" 200 " in _request(sock).split(b"\r\n")[0]  # accepted, answered, now idle
            with _connect(server) as newcomer:
                assert b" 200 " in _request(newcomer).split(b"\r\n")[0]
            assert _closed(idle[0])  # the one idle longest made room
            for sock in idle[1:]:
                assert b" 200 " in _request(sock).split(b"\r\n")[0]  # the others still work
        finally:
            for sock in idle:
                sock.close()


def test_the_documented_header_timeout_is_a_few_seconds() -> None:
    assert 1.0 <= HEADER_TIMEOUT <= 10.0
