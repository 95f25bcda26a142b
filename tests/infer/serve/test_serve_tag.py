"""The service answers exactly what the in-process predictor does, in `score`'s record shape."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from infer.batch import Scorer, scored_output
from infer.predictor import Predictor
from infer.readers import InputRecord

DEMO = Path(__file__).resolve().parents[3] / "data" / "demo"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """60 demo reports, long and short, plus a few odd ones."""
    lines = (DEMO / "a.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()][:56]
    return [
        *texts,
        "Bomb.",
        "ÇÉ — des hommes armés ont attaqué un convoi près de Gao.",
        "x" * 5000,
        "Gunmen ambushed a police convoy near Kandahar and seized two officers.",
    ]


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Predictor:
    """The same model, in-process."""
    return Predictor.load(model_dir)


def expected(predictor: Predictor, texts: list[str]) -> list[dict]:
    """What the service must answer for these texts: Predictor.predict, in `score`'s records."""
    return [
        scored_output(InputRecord(str(i), f"texts[{i}]", text=text), prediction)
        for i, (text, prediction) in enumerate(zip(texts, predictor.predict(texts), strict=True))
    ]


def test_tag_results_are_identical_to_predictor_predict(server, predictor, texts) -> None:
    response = httpx.post(server.url + "/v1/tag", json={"texts": texts}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json() == {"results": expected(predictor, texts)}


def test_tag_records_have_the_shape_of_score_output(server, predictor, texts) -> None:
    records = [InputRecord(str(i), f"texts[{i}]", text=t) for i, t in enumerate(texts[:3])]
    response = httpx.post(server.url + "/v1/tag", json={"texts": texts[:3]}, timeout=60)
    assert response.json()["results"] == Scorer(predictor)(records)


def test_concurrent_requests_batched_together_get_their_own_results(
    server, predictor, texts
) -> None:
    want = expected(predictor, texts)

    def one(i: int) -> dict:
        reply = httpx.post(server.url + "/v1/tag", json={"texts": [texts[i]]}, timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.json()["results"][0]

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(one, range(len(texts))))
    for i, result in enumerate(got):
        assert result == {**want[i], "id": "0", "source": "texts[0]"}
    metrics = httpx.get(server.url + "/metrics").text
    assert "threat_tagger_batch_texts_count" in metrics


def test_ids_given_by_the_client_are_kept_in_order(server) -> None:
    body = {
        "texts": ["A bomb went off in Kabul.", "Gunmen kidnapped a priest."],
        "ids": ["a-1", "b-2"],
    }
    results = httpx.post(server.url + "/v1/tag", json=body).json()["results"]
    assert [r["id"] for r in results] == ["a-1", "b-2"]


def test_one_bad_text_gets_an_error_item_in_its_place(server, predictor) -> None:
    body = {"texts": ["A bomb went off in Kabul.", "   ", 7, None, "Gunmen kidnapped a priest."]}
    response = httpx.post(server.url + "/v1/tag", json=body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[1] == {"id": "1", "source": "texts[1]", "error": "texts[1] is empty"}
    assert results[2] == {
        "id": "2",
        "source": "texts[2]",
        "error": "texts[2] is a number, not a string",
    }
    assert results[3]["error"] == "texts[3] is null, not a string"
    good = expected(predictor, [body["texts"][0], body["texts"][4]])
    assert results[0] == good[0]
    assert results[4] == {**good[1], "id": "4", "source": "texts[4]"}


def test_unpaired_surrogates_are_replaced_with_a_warning(server) -> None:
    raw = b'{"texts": ["A bomb exploded in Kabul \\ud800 today."]}'
    response = httpx.post(
        server.url + "/v1/tag", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert "U+FFFD" in response.json()["results"][0]["warning"]


def test_explain_gives_the_record_with_the_predictors_explanation(server, predictor) -> None:
    text = "A car bomb exploded outside the ministry in Baghdad, killing four."
    response = httpx.post(server.url + "/v1/explain", json={"text": text, "top": 3})
    assert response.status_code == 200, response.text
    out = response.json()
    heads = predictor.explain(text, 3).to_dict()["heads"]
    assert out["explanation"] == json.loads(json.dumps(heads))
    assert {k: v for k, v in out.items() if k != "explanation"} == expected(predictor, [text])[
        0
    ] | {"source": "text"}


def test_model_endpoint_describes_the_loaded_model(server, predictor) -> None:
    out = httpx.get(server.url + "/v1/model").json()
    assert out["incident_types"] == list(predictor.labels)
    assert out["thresholds"] == predictor.meta["thresholds"]
    assert out["metrics"] == predictor.meta["metrics"]
    assert out["fingerprint"] == predictor.meta["files"]["model.npz"]
    assert "corpora" not in out  # no training paths leak out


def test_health_docs_and_metrics_answer(server) -> None:
    assert httpx.get(server.url + "/health/live").json() == {"status": "alive"}
    assert httpx.get(server.url + "/health/ready").json() == {"status": "ready"}
    assert "swagger" in httpx.get(server.url + "/docs").text.lower()
    spec = httpx.get(server.url + "/openapi.json").json()
    tag = spec["paths"]["/v1/tag"]["post"]
    assert "texts" in json.dumps(tag["requestBody"])
    assert "TagResponse" in json.dumps(tag["responses"]["200"])
    assert {"400", "401", "413", "422", "503"} <= set(tag["responses"])
    metrics = httpx.get(server.url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    for name in (
        "threat_tagger_http_requests_total",
        "threat_tagger_http_request_duration_seconds",
        "threat_tagger_batch_texts",
        "threat_tagger_errors",
    ):
        assert name in metrics.text


def test_the_readme_curl_example_works_as_written(server) -> None:
    import re
    import shutil
    import subprocess

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    readme = (DEMO.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Serving over HTTP", 1)[1]
    command = re.search(r"```bash\n(curl .*?)```", section, re.DOTALL).group(1)
    done = subprocess.run(
        ["bash", "-c", command.replace("127.0.0.1:8000", server.url[7:])],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results = json.loads(done.stdout)["results"]
    assert results[0]["source"] == "texts[0]" and "incident_types" in results[0]
    assert results[1] == {"id": "1", "source": "texts[1]", "error": "texts[1] is empty"}


def test_tag_and_explain_answers_follow_the_shipped_schema(server) -> None:
    from importlib import resources

    jsonschema = pytest.importorskip("jsonschema", reason="needs the dev extra")
    schema = json.loads(
        (resources.files("infer") / "prediction.schema.json").read_text(encoding="utf-8")
    )

    def check(instance: dict, form: str) -> None:
        jsonschema.validate(instance, {**schema, "oneOf": [{"$ref": f"#/$defs/{form}"}]})
        jsonschema.validate(instance, schema)

    raw = (
        b'{"texts": ["Gunmen ambushed a convoy near Makhmour and seized a driver.", "", '
        b'"A bomb exploded in Kabul \\ud800."]}'
    )
    results = httpx.post(
        server.url + "/v1/tag", content=raw, headers={"Content-Type": "application/json"}
    ).json()["results"]
    check(results[0], "scored_record")
    check(results[1], "error_record")
    check(results[2], "scored_record")  # with its warning
    explained = httpx.post(
        server.url + "/v1/explain", json={"text": "A car bomb exploded in Baghdad.", "top": 3}
    )
    check(explained.json(), "scored_record")
