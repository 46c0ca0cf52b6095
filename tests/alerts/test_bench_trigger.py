"""The benchmark trigger lives in the tooling's URLs, never in the product's."""

import json

import pytest
from django.urls import NoReverseMatch, reverse

from warmline.alerts.models import LiveEvent


def test_product_urls_have_no_benchmark_route():
    with pytest.raises(NoReverseMatch):
        reverse("bench-publish")


@pytest.mark.urls("warmline_tools.bench.urls")
def test_bench_trigger_is_off_unless_configured(people, client, settings):
    url = reverse("bench-publish")
    payload = json.dumps({"user_id": people.rep.pk, "seq": 1})
    settings.ALERT_BENCH_TOKEN = ""
    assert client.post(url, payload, content_type="application/json").status_code == 404
    settings.ALERT_BENCH_TOKEN = "s3cret"
    assert (
        client.post(
            url, payload, content_type="application/json", HTTP_X_BENCH_TOKEN="wrong"
        ).status_code
        == 404
    )
    response = client.post(
        url, payload, content_type="application/json", HTTP_X_BENCH_TOKEN="s3cret"
    )
    assert response.status_code == 201
    event = LiveEvent.objects.get(user=people.rep)
    assert event.data["data"]["seq"] == "1"
    assert (
        client.post(
            url, "{}", content_type="application/json", HTTP_X_BENCH_TOKEN="s3cret"
        ).status_code
        == 400
    )
