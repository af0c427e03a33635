"""The review server's guard, over a real socket: loopback only, the token on every request,
CSRF proof for changes, bounded bodies, no caching."""

from __future__ import annotations

import json

import pytest

from srs_scan.errors import UsageError
from srs_scan.review.web import bind_loopback, csrf_token
from tests.reviewdata import RunningServer, fill_store, x_for_value

DECISION = {"hash": "hash000", "page": 1, "item_id": "relationship", "action": "value",
            "x_mm": x_for_value(6.1), "reviewer": "Anna", "seen": None}


@pytest.fixture(scope="module")
def server(tmp_path_factory, spec):
    db = tmp_path_factory.mktemp("web") / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with RunningServer(db) as running:
        yield running


def _post(server, body: dict | str, **headers):
    data = (body if isinstance(body, str) else json.dumps(body)).encode()
    return server.request("POST", "/api/decide", data, {
        "Content-Type": "application/json", "Origin": server.origin, **headers})


def _queue(server) -> dict:
    status, _, body = server.request("GET", "/api/queue", headers={"X-SRS-Token": server.token})
    assert status == 200
    return json.loads(body)


def test_requests_without_the_token_are_refused(server):
    for path in ("/api/queue", "/sheet/hash000/1.jpg"):
        assert server.request("GET", path)[0] == 401
        assert server.request("GET", path + "?token=" + server.token)[0] == 401  # only the header counts
        assert server.request("GET", path, headers={"Cookie": f"srs_review_token={server.token}"})[0] == 401
    assert server.request("GET", "/api/queue", headers={"X-SRS-Token": "wrong"})[0] == 401
    assert _post(server, DECISION)[0] == 401


def test_only_the_pages_shell_comes_without_the_token_and_it_holds_no_secret(server):
    for path in ("/", "/static/review.js", "/static/review.css", "/favicon.ico"):
        status, headers, body = server.request("GET", path)
        assert status in (200, 204), path
        assert server.token.encode() not in body and csrf_token(server.token).encode() not in body
        assert "set-cookie" not in headers and headers["cache-control"] == "no-store"
    assert "default-src 'none'" in server.request("GET", "/")[1]["content-security-policy"]
    status, _, body = server.request("GET", "/api/queue", headers={"X-SRS-Token": server.token})
    assert status == 200 and json.loads(body)["csrf"] == csrf_token(server.token)
    status, headers, _ = server.request("GET", "/sheet/hash000/1.jpg", headers={"X-SRS-Token": server.token})
    assert status == 200 and headers["content-type"] == "image/jpeg"


def test_a_foreign_host_is_refused_even_with_the_token(server):
    headers = {"X-SRS-Token": server.token, "Host": f"evil.example:{server.port}"}
    assert server.request("GET", "/api/queue", headers=headers)[0] == 403


def test_state_changes_need_csrf_proof(server):
    auth = {"X-SRS-Token": server.token}
    good = {**auth, "X-CSRF-Token": csrf_token(server.token)}
    assert _post(server, DECISION, **auth)[0] == 403                               # no CSRF token
    assert _post(server, DECISION, **auth, **{"X-CSRF-Token": "0" * 64})[0] == 403
    assert _post(server, DECISION, **{**good, "Origin": "http://evil.example"})[0] == 403
    assert server.request("POST", "/api/decide", json.dumps(DECISION).encode(),
                          {**good, "Content-Type": "application/json"})[0] == 403  # no Origin
    assert server.request("PUT", "/api/decide", b"{}", {**good, "Origin": server.origin})[0] == 405
    assert _post(server, json.dumps(DECISION), **{**good, "Content-Type": "text/plain"})[0] == 415
    assert _post(server, {**DECISION, "note": "x" * 20000}, **good)[0] == 413
    assert _queue(server)["entries"][0]["settled"] is False

    status, _, body = _post(server, DECISION, **good)
    assert status == 200
    item = json.loads(body)["page"]["items"][0]
    assert item["decision"]["new_value"] == pytest.approx(6.1) and item["decision"]["reviewer"] == "Anna"
    assert _queue(server)["entries"][0]["settled"] is True
    seen = json.loads(body)["page"]["seen"]
    assert _post(server, {**DECISION, "x_mm": 500, "seen": seen}, **good)[0] == 400
    status, _, body = _post(server, {"page": "x"}, **good)
    assert status == 400 and json.loads(body)["error"].startswith("malformed request")


def test_the_server_binds_loopback_only(server):
    with pytest.raises(UsageError, match="127.0.0.1"):
        bind_loopback(0, host="0.0.0.0")
    assert server.sock.getsockname()[0] == "127.0.0.1"


def test_the_browser_is_opened_on_a_private_page_not_on_the_token(tmp_path, spec, monkeypatch,
                                                                   capsys):
    import re
    import stat
    import urllib.parse
    import webbrowser
    from pathlib import Path

    import srs_scan.review.web
    from srs_scan.cli import main

    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    opened: list[tuple[str, str, int]] = []

    def fake_open(uri: str) -> bool:  # what the browser would get on its command line
        page = Path(urllib.parse.urlparse(uri).path)
        opened.append((uri, page.read_text(), stat.S_IMODE(page.stat().st_mode)))
        return True

    def fake_serve(_app, sock) -> None:
        sock.close()
        raise KeyboardInterrupt  # as when the user stops the server

    monkeypatch.setattr(webbrowser, "open", fake_open)
    monkeypatch.setattr(srs_scan.review.web, "serve", fake_serve)
    assert main(["review", "--db", str(db)]) == 0
    url = re.search(r"http://127\.0\.0\.1:\d+/#token=\S+", capsys.readouterr().out).group(0)
    token = url.split("token=")[1]
    [(uri, content, mode)] = opened
    assert uri.startswith("file://") and token not in uri
    assert url in content and mode == 0o600
    assert not Path(urllib.parse.urlparse(uri).path).exists()  # removed when the server stops
