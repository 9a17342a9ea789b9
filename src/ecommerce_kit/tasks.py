"""Celery tasks of the kit's core: order e-mails (the host runs the worker and beat)."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from ecommerce_kit import emails

logger = logging.getLogger(__name__)


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
    bind=True,
)
def send_email(self: Task, email_id: int) -> str:
    """Send the recorded order e-mail ``email_id`` (an ``OrderEmail`` primary key).

    Idempotent: an e-mail is claimed before it is sent, so a task delivered twice, retried, or
    run on two workers at once sends it once. Transient failures (no connection, a ``4xx`` reply)
    are retried with exponential backoff from 30 seconds up to an hour. Its result is not stored
    (``ignore_result``): the e-mail's row holds its state.

    Run eagerly (``task_always_eager``: a site without a worker, where the task runs inside the
    request that changed the order), a transient failure is not retried: Celery would retry at
    once, in that request, ignoring the backoff, up to ``max_retries`` times. The e-mail stays
    ``pending`` for :func:`send_pending_emails`, as without Celery.

    :returns: The e-mail's state afterwards.
    """
    try:
        return emails.deliver(email_id)
    except emails.RetryableEmailError as exc:
        if not self.request.is_eager:
            raise
        logger.warning("Order e-mail %s not sent (%s); it stays pending", email_id, exc)
        return str(emails.State.PENDING)


@shared_task(name="ecommerce_kit.emails.send_pending", acks_late=True)
def send_pending_emails() -> int:
    """Send order e-mails left ``pending`` for ten minutes (never queued, or retries given up);
    run it every few minutes.

    :returns: How many were sent.
    """
    return emails.send_pending_emails()
