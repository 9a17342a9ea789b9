"""``Idempotency-Key`` handling for the checkout and payment endpoints.

A request carrying a key first *claims* it: a row unique per (user, key) is inserted and committed
in its own short transaction, before any work starts. Then:

- the request that inserted the row does the work and stores its answer (status and body) on it;
- a request that finds a row with the same fingerprint returns the stored answer, waiting for it
  while the first request is still running (also when both arrived at the same moment: the unique
  row decides who works);
- a request that finds a row with another fingerprint (another endpoint or another body) gets
  ``422 idempotency_key_reused``.

Keys expire after ``IDEMPOTENCY_KEY_TTL``; an expired row is replaced by a new claim. When the
work fails with an unexpected error (a bug, a lost database connection) the claim is released, so
that the client can retry with the same key.

A claim still unanswered after ``IDEMPOTENCY_KEY_LEASE`` belongs to a request that died (its
process was killed or lost its database between committing its work and storing its answer). The
next request with the key *takes it over*: it asks the endpoint's ``recover`` callback for what the
dead request left (checkout: the order it placed) and answers with that; when nothing was left, it
does the work itself.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import (
    IdempotencyKeyInProgressError,
    IdempotencyKeyInvalidError,
    IdempotencyKeyReusedError,
)
from ecommerce_kit.orders.models import IdempotencyKey

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: How long a request waits for the answer of a racing request with the same key.
WAIT_TIMEOUT = 30.0
_POLL_FIRST = 0.02
_POLL_MAX = 0.25


@dataclass(frozen=True)
class StoredResponse:
    """The answer given to the first request that used a key."""

    status_code: int
    body: Any


def clean_key(raw: str | None) -> str | None:
    """Validate the raw header value.

    :returns: The key, or ``None`` when the header is absent.
    :raises IdempotencyKeyInvalidError: when it is empty, longer than 255 characters or holds
        non-printable characters.
    """
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyKeyInvalidError(max_length=MAX_KEY_LENGTH)
    return key


def request_fingerprint(*, scope: str, payload: Any) -> str:
    """Return a SHA-256 over the endpoint ``scope`` and the canonical JSON of ``payload``."""
    canonical = json.dumps(
        {"scope": scope, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim_once(
    *, user: AbstractBaseUser, key: str, fingerprint: str
) -> tuple[IdempotencyKey | None, bool]:
    now = timezone.now()
    with transaction.atomic():
        IdempotencyKey.objects.filter(
            user_id=user.pk, key=key, created_at__lt=now - kit_settings.IDEMPOTENCY_KEY_TTL
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user_id=user.pk, key=key, fingerprint=fingerprint, created_at=now
                )
            return record, True
        except IntegrityError:
            pass
        return IdempotencyKey.objects.filter(user_id=user.pk, key=key).first(), False


def _take_over(record: IdempotencyKey) -> bool:
    """Renew the lease of the unanswered claim ``record``; true for the one request that does.

    The update is conditional on the claim being unchanged, so of several requests finding the same
    abandoned claim exactly one takes it over; the others wait for its answer.
    """
    renewed = IdempotencyKey.objects.filter(
        pk=record.pk, status_code__isnull=True, created_at=record.created_at
    ).update(created_at=timezone.now())
    return renewed == 1


def claim_key(
    *,
    user: AbstractBaseUser,
    key: str,
    fingerprint: str,
    recover: Callable[[datetime], StoredResponse | None] | None = None,
) -> IdempotencyKey | StoredResponse:
    """Claim ``key`` for ``user``, or get the answer already given for it.

    Call it outside any transaction: the claim must be committed before the work starts so that
    racing requests see it.

    :param recover: Called with the time an abandoned claim was made (unanswered for longer than
        ``IDEMPOTENCY_KEY_LEASE``) once this request has taken it over: the answer to give for what
        the dead request left behind, stored as the key's answer, or ``None`` when it left nothing
        (this request then does the work).
    :returns: The new claim (the caller does the work, then calls :func:`complete_key` or
        :func:`release_key`), or the stored answer of an earlier request with the same key.
    :raises IdempotencyKeyReusedError: the key was used with another request.
    :raises IdempotencyKeyInProgressError: the first request has not answered within
        :data:`WAIT_TIMEOUT` seconds.
    """
    deadline = time.monotonic() + WAIT_TIMEOUT
    delay = _POLL_FIRST
    record, created = _claim_once(user=user, key=key, fingerprint=fingerprint)
    while True:
        if created and record is not None:
            return record
        if record is None:
            # The first request released its claim: try to take it over.
            record, created = _claim_once(user=user, key=key, fingerprint=fingerprint)
            continue
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReusedError()
        if record.is_complete:
            return StoredResponse(
                status_code=int(record.status_code or 0), body=record.response_body
            )
        if record.created_at <= timezone.now() - kit_settings.IDEMPOTENCY_KEY_LEASE:
            claimed_at = record.created_at
            if _take_over(record):
                left = recover(claimed_at) if recover is not None else None
                if left is None:
                    return record
                complete_key(claim=record, status_code=left.status_code, body=left.body)
                return left
            record = IdempotencyKey.objects.filter(pk=record.pk).first()
            continue
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInProgressError()
        time.sleep(delay)
        delay = min(delay * 2, _POLL_MAX)
        # A plain read in autocommit mode: waiting never holds a lock or a write transaction.
        record = IdempotencyKey.objects.filter(pk=record.pk).first()


def complete_key(*, claim: IdempotencyKey, status_code: int, body: Any) -> None:
    """Store the answer of the request that holds ``claim``."""
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        status_code=status_code, response_body=body, completed_at=timezone.now()
    )


def release_key(*, claim: IdempotencyKey) -> None:
    """Give up ``claim`` without an answer, so that the key can be used again."""
    IdempotencyKey.objects.filter(pk=claim.pk, status_code__isnull=True).delete()


def purge_expired_keys() -> int:
    """Delete the keys older than ``IDEMPOTENCY_KEY_TTL`` (they can no longer be replayed).

    :returns: How many keys were deleted.
    """
    cutoff = timezone.now() - kit_settings.IDEMPOTENCY_KEY_TTL
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
