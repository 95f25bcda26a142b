"""Bad requests get a JSON {"detail": ...} that says what is wrong, with the right status."""

from __future__ import annotations

import httpx
import pytest

JSON = {"Content-Type": "application/json"}


def post(server, path: str, content: bytes) -> httpx.Response:
    """POST raw bytes as JSON."""
    return httpx.post(server.url + path, content=content, headers=JSON, timeout=60)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"texts": ["a bomb"', 400, "malformed JSON"),
        (b"", 400, "the request body is empty"),
        (b'{"texts": ["caf\xe9 bomb"]}', 400, "not valid UTF-8 (byte 15"),
        (b'["a bomb"]', 422, "must be a JSON object"),
        (b'{"text": ["a bomb"]}', 422, "unknown field 'text'"),
        (b"{}", 422, 'missing field "texts"'),
        (b'{"texts": "a bomb"}', 422, '"texts" must be a list of strings, not a string'),
        (b'{"texts": []}', 422, '"texts" is empty'),
        (b'{"texts": ["a", "b"], "ids": ["1"]}', 422, '"ids" has 1 items but "texts" has 2'),
        (b'{"texts": ["a"], "ids": [1]}', 422, '"ids" must be a list of strings'),
        (b'{"texts": ["a", "b"], "ids": ["x", "\\udc00"]}', 422, '"ids"[1] holds an unpaired'),
    ],
)
def test_tag_refuses_a_bad_request_with_a_clear_message(server, body, status, message) -> None:
    response = post(server, "/v1/tag", body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


@pytest.mark.parametrize("texts", [[""], ["  \n\t "], [3], [["nested"]], [None, ""]])
def test_tag_with_no_scorable_text_is_422_with_each_items_error(server, texts) -> None:
    response = httpx.post(server.url + "/v1/tag", json={"texts": texts})
    assert response.status_code == 422
    out = response.json()
    assert out["detail"] == "no text could be scored"
    assert [sorted(r) for r in out["results"]] == [["error", "id", "source"]] * len(texts)


def test_too_many_texts_is_413(server) -> None:  # the test server allows 64 per request
    response = httpx.post(server.url + "/v1/tag", json={"texts": ["a bomb"] * 65})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("too many texts: 65 (at most 64")


def test_a_body_over_the_size_limit_is_413(server) -> None:  # the test server allows 200000 B
    response = httpx.post(server.url + "/v1/tag", json={"texts": ["bomb " * 50_000]})
    assert response.status_code == 413
    assert "the limit is 200000 bytes" in response.json()["detail"]


def test_a_chunked_body_over_the_size_limit_is_413(server) -> None:
    def chunks():  # no Content-Length: the limit must hold while the body streams in
        yield b'{"texts": ["'
        for _ in range(30):
            yield b"bomb " * 2000
        yield b'"]}'

    response = httpx.post(server.url + "/v1/tag", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert "over the limit of 200000 bytes" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"text": ""}', "text is empty"),
        (b'{"text": 5}', "text is a number, not a string"),
        (b'{"texts": ["a"]}', "unknown field 'texts'"),
        (b'{"text": "a bomb", "top": 0}', '"top" must be an integer from 1 to 100'),
        (b'{"text": "a bomb", "id": 3}', '"id" must be a string'),
        (b'{"text": "a bomb", "id": "\\ud83d"}', '"id" holds an unpaired UTF-16 surrogate'),
    ],
)
def test_explain_refuses_a_bad_request_with_422(server, body, message) -> None:
    response = post(server, "/v1/explain", body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_explain_refuses_malformed_json_with_400(server) -> None:
    response = post(server, "/v1/explain", b"{text: 1}")
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["detail"]


def test_unknown_paths_and_methods_are_json_errors(server) -> None:
    missing = httpx.get(server.url + "/v1/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong = httpx.get(server.url + "/v1/tag")
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}
    assert wrong.headers["allow"] == "POST"


def test_no_endpoint_loads_a_model_or_file_named_in_the_request(server) -> None:
    response = httpx.post(
        server.url + "/v1/tag", json={"texts": ["a bomb"], "model": "/etc/passwd"}
    )
    assert response.status_code == 422
    assert "unknown field 'model'" in response.json()["detail"]
    assert httpx.get(server.url + "/v1/model", params={"path": "/etc"}).json()["name"] != "/etc"


def test_refused_requests_are_counted_in_the_metrics(server) -> None:
    post(server, "/v1/tag", b"{")
    metrics = httpx.get(server.url + "/metrics").text
    assert 'threat_tagger_errors_total{reason="http_400"}' in metrics
    assert 'status="400"' in metrics


def test_a_client_that_hangs_up_mid_body_is_counted_not_a_crash(server) -> None:
    import socket
    import time

    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"texts": ["a bo'
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        metrics = httpx.get(server.url + "/metrics").text
        if 'threat_tagger_errors_total{reason="client_disconnected"}' in metrics:
            break
        time.sleep(0.1)
    assert 'threat_tagger_errors_total{reason="client_disconnected"}' in metrics
    assert "Traceback" not in server.stderr()
    assert httpx.get(server.url + "/health/live").status_code == 200
