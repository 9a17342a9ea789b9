"""The claim / answer / replay cycle of Idempotency-Key, below the HTTP layer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ecommerce_kit.exceptions import (
    IdempotencyKeyInProgressError,
    IdempotencyKeyInvalidError,
    IdempotencyKeyReusedError,
)
from ecommerce_kit.orders import idempotency
from ecommerce_kit.orders.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_clean_key_accepts_absent_and_up_to_255_characters() -> None:
    assert idempotency.clean_key(None) is None
    assert idempotency.clean_key(" abc ") == "abc"
    assert idempotency.clean_key("k" * 255) == "k" * 255


@pytest.mark.parametrize("raw", ["", "   ", "k" * 256, "bad\x00key"])
def test_clean_key_rejects_empty_long_or_unprintable(raw: str) -> None:
    with pytest.raises(IdempotencyKeyInvalidError) as info:
        idempotency.clean_key(raw)
    assert info.value.code == "invalid_idempotency_key"
    assert info.value.status_code == 400


def test_fingerprint_ignores_key_order_but_not_values_or_scope() -> None:
    a = idempotency.request_fingerprint(scope="checkout", payload={"a": 1, "b": [1, 2]})
    assert a == idempotency.request_fingerprint(scope="checkout", payload={"b": [1, 2], "a": 1})
    assert a != idempotency.request_fingerprint(scope="checkout", payload={"a": 2, "b": [1, 2]})
    assert a != idempotency.request_fingerprint(scope="pay:EK-1", payload={"a": 1, "b": [1, 2]})


def test_claim_then_complete_then_replay(user: Any) -> None:
    claim = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    assert isinstance(claim, IdempotencyKey)
    idempotency.complete_key(claim=claim, status_code=201, body={"order": {"number": "EK-1"}})
    replay = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    assert replay == idempotency.StoredResponse(status_code=201, body={"order": {"number": "EK-1"}})


def test_claim_with_other_fingerprint_is_reused_error(user: Any) -> None:
    idempotency.claim_key(user=user, key="k1", fingerprint="f")
    with pytest.raises(IdempotencyKeyReusedError):
        idempotency.claim_key(user=user, key="k1", fingerprint="g")


def test_keys_are_per_user(user: Any, staff: Any) -> None:
    idempotency.claim_key(user=user, key="k1", fingerprint="f")
    assert isinstance(idempotency.claim_key(user=staff, key="k1", fingerprint="g"), IdempotencyKey)


def test_expired_key_is_claimed_afresh(user: Any, settings: Any) -> None:
    claim = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    idempotency.complete_key(claim=claim, status_code=201, body={})
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    again = idempotency.claim_key(user=user, key="k1", fingerprint="other")
    assert isinstance(again, IdempotencyKey)
    assert again.pk != claim.pk
    assert IdempotencyKey.objects.filter(user=user, key="k1").count() == 1


def test_released_key_can_be_claimed_again(user: Any) -> None:
    claim = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    idempotency.release_key(claim=claim)
    assert isinstance(idempotency.claim_key(user=user, key="k1", fingerprint="f"), IdempotencyKey)


def test_claim_in_progress_times_out_with_conflict(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    idempotency.claim_key(user=user, key="k1", fingerprint="f")
    monkeypatch.setattr(idempotency, "WAIT_TIMEOUT", 0.1)
    with pytest.raises(IdempotencyKeyInProgressError) as info:
        idempotency.claim_key(user=user, key="k1", fingerprint="f")
    assert info.value.status_code == 409


def test_purge_task_deletes_only_expired_keys(user: Any) -> None:
    from ecommerce_kit.orders.tasks import purge_idempotency_keys

    old = idempotency.claim_key(user=user, key="old", fingerprint="f")
    idempotency.claim_key(user=user, key="new", fingerprint="f")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys.name == "ecommerce_kit.orders.purge_idempotency_keys"
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_purge_command_reports_the_deleted_keys(user: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    old = idempotency.claim_key(user=user, key="old", fingerprint="f")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 expired idempotency key(s)."
    assert not IdempotencyKey.objects.exists()


def test_an_abandoned_claim_is_taken_over_by_exactly_one_request(user: Any) -> None:
    claim = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    stale = IdempotencyKey.objects.get(pk=claim.pk)
    assert idempotency._take_over(stale) is True
    assert idempotency._take_over(stale) is False  # a second request saw the same stale claim
    assert IdempotencyKey.objects.get(pk=claim.pk).created_at > stale.created_at


def test_taking_over_an_abandoned_claim_stores_what_recover_found(user: Any) -> None:
    claim = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    since = timezone.now() - timedelta(minutes=6)
    IdempotencyKey.objects.filter(pk=claim.pk).update(created_at=since)
    seen = []

    def recover(claimed_at: Any) -> idempotency.StoredResponse:
        seen.append(claimed_at)
        return idempotency.StoredResponse(status_code=201, body={"order": {"number": "EK-1"}})

    answer = idempotency.claim_key(user=user, key="k1", fingerprint="f", recover=recover)
    assert answer == idempotency.StoredResponse(status_code=201, body={"order": {"number": "EK-1"}})
    assert seen == [since]
    replay = idempotency.claim_key(user=user, key="k1", fingerprint="f", recover=recover)
    assert replay == answer
    assert len(seen) == 1


def test_taking_over_an_abandoned_claim_with_nothing_left_hands_the_work_over(user: Any) -> None:
    claim = idempotency.claim_key(user=user, key="k1", fingerprint="f")
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    again = idempotency.claim_key(user=user, key="k1", fingerprint="f", recover=lambda _since: None)
    assert isinstance(again, IdempotencyKey)
    assert again.pk == claim.pk
    # An abandoned claim with another request's body is still a reused key.
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    with pytest.raises(IdempotencyKeyReusedError):
        idempotency.claim_key(user=user, key="k1", fingerprint="g")
