"""Celery tasks of the kit's core: order e-mails (the host runs the worker and beat)."""

from __future__ import annotations

from celery import shared_task

from ecommerce_kit import emails


@shared_task(
    name="ecommerce_kit.emails.send",
    acks_late=True,
    # Its state is the e-mail's row; no one waits for a result (storing one would also make the
    # web process subscribe to it on a Redis result backend, for every e-mail it queues).
    ignore_result=True,
    autoretry_for=(emails.RetryableEmailError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_email(email_id: int) -> str:
    """Send the recorded order e-mail ``email_id`` (an ``OrderEmail`` primary key).

    Idempotent: an e-mail is claimed before it is sent, so a task delivered twice, retried, or
    run on two workers at once sends it once. Transient failures (no connection, a ``4xx`` reply)
    are retried with exponential backoff from 30 seconds up to an hour. Its result is not stored
    (``ignore_result``): the e-mail's row holds its state.

    :returns: The e-mail's state afterwards.
    """
    return emails.deliver(email_id)


@shared_task(name="ecommerce_kit.emails.send_pending", acks_late=True)
def send_pending_emails() -> int:
    """Send order e-mails left ``pending`` for ten minutes (never queued, or retries given up);
    run it every few minutes.

    :returns: How many were sent.
    """
    return emails.send_pending_emails()
