"""Operations: API keys, graceful shutdown, access logs, a bounded load test, start-up errors."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time

import httpx
import pytest
from typer.testing import CliRunner

KEY = "s3cret-key-for-tests"
TEXTS = [
    "A bomb exploded at a bus stop in Quetta.",
    "Gunmen abducted two aid workers.",
    "The city council approved the new budget.",
    "Rebels ambushed an army patrol.",
]


@pytest.fixture(scope="module")
def keyed(start_server):
    """A server whose key comes from $THREAT_TAGGER_API_KEY, logging texts on request."""
    return start_server("--log-texts", env={"THREAT_TAGGER_API_KEY": KEY})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": KEY},
    ],
)
def test_a_missing_or_wrong_key_is_401(keyed, headers) -> None:
    for method, path in (
        ("POST", "/v1/tag"),
        ("POST", "/v1/explain"),
        ("GET", "/v1/model"),
        ("GET", "/metrics"),
    ):
        response = httpx.request(
            method, keyed.url + path, json={"texts": ["a bomb"]}, headers=headers
        )
        assert response.status_code == 401, (path, response.text)
        assert "API key" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"


def test_the_right_key_is_let_in_and_health_needs_none(keyed) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    response = httpx.post(keyed.url + "/v1/tag", json={"texts": ["a bomb"]}, headers=auth)
    assert response.status_code == 200
    assert httpx.get(keyed.url + "/metrics", headers=auth).status_code == 200
    assert httpx.get(keyed.url + "/health/ready").status_code == 200
    assert httpx.get(keyed.url + "/health/live").status_code == 200


def access_lines(server) -> list[dict]:
    """The server's JSON access-log lines so far."""
    return [json.loads(line) for line in server.stderr().splitlines() if line.startswith("{")]


def logged_after(server, before: int) -> list[dict]:
    """The access-log lines after the first `before`, once a /v1/tag line is among them (the
    line is written just after the response, so it may trail it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = access_lines(server)[before:]
        if any(line["path"] == "/v1/tag" for line in lines):
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no /v1/tag access-log line:\n{server.stderr()}")


def test_access_log_lines_are_json_and_hold_texts_only_when_asked(server, keyed) -> None:
    secret = "The ministry of Zorblax reported a car bomb."
    before = len(access_lines(server))
    httpx.post(server.url + "/v1/tag", json={"texts": [secret]})
    line = next(line for line in logged_after(server, before) if line["path"] == "/v1/tag")
    assert line["texts"] == 1 and line["status"] == 200 and "text" not in line
    assert {"time", "client", "method", "duration_ms"} <= set(line)
    assert "Zorblax" not in server.stderr()
    before = len(access_lines(keyed))
    httpx.post(
        keyed.url + "/v1/tag", json={"texts": [secret]}, headers={"Authorization": f"Bearer {KEY}"}
    )
    line = next(line for line in logged_after(keyed, before) if line["path"] == "/v1/tag")
    assert line["text"] == [secret]
    assert KEY not in keyed.stderr()


def in_progress(url: str) -> float:
    """The in-progress gauge (this /metrics request counts itself)."""
    metrics = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {KEY}"})
    for line in metrics.text.splitlines():
        if line.startswith("threat_tagger_http_requests_in_progress "):
            return float(line.split()[1])
    return 0.0


def test_sigterm_lets_a_request_in_flight_finish_then_exits(start_server) -> None:
    server = start_server("--api-key", KEY)
    signalled = threading.Event()
    answers: list[httpx.Response] = []

    def body():  # the body's second half is sent only after SIGTERM: the request is in flight
        yield b'{"texts": ["A bomb exploded at a bus stop in Quetta.", '
        signalled.wait(timeout=30)
        yield b'"Gunmen abducted two aid workers."]}'

    thread = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                server.url + "/v1/tag",
                content=body(),
                timeout=60,
                headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            )
        )
    )
    thread.start()
    deadline = time.monotonic() + 30
    while in_progress(server.url) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert in_progress(server.url) >= 2, "the request never got in flight"
    server.process.terminate()  # SIGTERM
    time.sleep(0.5)  # the server is shutting down: it must still read and answer the request
    signalled.set()
    thread.join(timeout=60)
    assert answers and answers[0].status_code == 200, answers
    assert [r["id"] for r in answers[0].json()["results"]] == ["0", "1"]
    # uvicorn re-raises the signal once it has shut down cleanly: the status says SIGTERM
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.stderr()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/health/live", timeout=2)


def test_load_50_clients_2000_requests_without_an_error(server) -> None:
    expected = httpx.post(server.url + "/v1/tag", json={"texts": TEXTS}).json()["results"]
    clients, per_client = 50, 40
    failures: list[str] = []

    async def client(number: int, http: httpx.AsyncClient) -> None:
        for i in range(per_client):
            k = (number + i) % len(TEXTS)
            reply = await http.post("/v1/tag", json={"texts": [TEXTS[k]], "ids": [str(k)]})
            result = reply.json()["results"][0] if reply.status_code == 200 else None
            if result != {**expected[k], "source": "texts[0]"}:
                failures.append(f"{reply.status_code}: {reply.text[:200]}")

    async def main() -> None:
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
            await asyncio.wait_for(
                asyncio.gather(*(client(n, http) for n in range(clients))), timeout=300
            )  # a bound, not a speed test

    asyncio.run(main())
    assert failures == []
    metrics = httpx.get(server.url + "/metrics").text
    sizes = [
        line
        for line in metrics.splitlines()
        if line.startswith('threat_tagger_batch_requests_bucket{le="1.0"}')
    ]
    count = [
        line
        for line in metrics.splitlines()
        if line.startswith("threat_tagger_batch_requests_count")
    ]
    assert float(sizes[0].split()[1]) < float(count[0].split()[1])  # some batches grouped >1


def test_serve_without_a_model_folder_fails_with_one_line(tmp_path) -> None:
    from train.cli import app

    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "is not a model folder" in result.output


def test_serve_with_a_broken_model_exits_1_naming_the_problem(
    start_server, model_dir, tmp_path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in model_dir.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "model.npz").write_bytes(b"not a model")
    server = start_server("--model", str(broken), ready=False)
    assert server.process.wait(timeout=120) == 1
    assert "cannot load the model" in server.stderr()


def test_workers_each_serve_and_metrics_add_up_over_them(start_server) -> None:
    server = start_server("--workers", "2")
    deadline = time.monotonic() + 120  # the second worker may still be loading
    answers: list[int] = []
    while len(answers) < 20 and time.monotonic() < deadline:
        reply = httpx.post(server.url + "/v1/tag", json={"texts": [TEXTS[0]]})
        if reply.status_code == 503:  # a worker still loading says so, with Retry-After
            assert reply.headers["retry-after"] == "1"
            time.sleep(0.1)
            continue
        answers.append(reply.status_code)
    assert answers == [200] * 20
    metrics = httpx.get(server.url + "/metrics").text
    count = next(
        line for line in metrics.splitlines() if line.startswith("threat_tagger_batch_texts_count")
    )
    assert float(count.split()[1]) >= 20  # every worker's batches, not one worker's
    assert server.stop() in (0, -signal.SIGTERM)
