"""Order e-mails: what is sent when, in which language, and how each is sent once.

A built-in plugin (``BLOCKED_PLUGINS = ["ecommerce_kit.emails"]`` removes it) that listens to the
kit's after-commit hooks and e-mails:

========================= ========================================== ==========================
e-mail (``kind``)         when                                       to
========================= ========================================== ==========================
``order_confirmed``       the order is confirmed (its money is held) the buyer
``fulfilment_due``        the same, once per store in the order      each store's owner
``order_shipped``         a store's part of the order ships          the buyer
``order_delivered``       the whole order is delivered               the buyer
``order_cancelled``       a confirmed (or partly paid) order is      the buyer
                          cancelled
``order_refunded``        a staff refund, a refund of cancelled      the buyer
                          goods, or one made at the provider, went
                          through
========================= ========================================== ==========================

**Once per transition.** Each e-mail is first recorded as an
:class:`~ecommerce_kit.orders.models.OrderEmail` row whose key ``(order, kind, subject id)`` is
unique (the subject is the order, the fulfilment or the refund's ledger entry), so a hook that
fires twice records one e-mail. Sending then *claims* the row: a conditional update
``pending`` → ``sending``, committed before anything leaves, which only one caller can win; the
row becomes ``sent`` afterwards. A task that runs twice, or two workers running it at once, send it
once.

**At most once.** If the process dies after the claim and before ``sent`` is written, the row stays
``sending`` and is never sent again by itself: the kit cannot know whether the mail server took the
message, and an e-mail that may be missing is better than one that may arrive twice. Such rows
are visible in the admin, where staff can send them again. Only errors that prove the message was
not taken are retried: a failure to connect (nothing was handed over) and a ``4xx`` reply (the
server refused it for now). Anything else — a ``5xx`` reply, a connection lost halfway — marks the
row ``failed``.

**Where it runs.** After the commit, through the Celery task ``ecommerce_kit.emails.send`` when
the host created a Celery app (retried with backoff, ``acks_late``), and in the calling process
otherwise. Rows left ``pending`` (a broker that was down, retries given up) are sent by the periodic
task ``ecommerce_kit.emails.send_pending`` or ``manage.py send_order_emails``.
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ecommerce_kit import hookimpl, plugins
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.orders.models import Fulfilment, Order, OrderEmail, OrderItem
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.payments.models import LedgerEntry
from ecommerce_kit.payments.states import RefundReason

if TYPE_CHECKING:
    from moneyed import Money

logger = logging.getLogger(__name__)

Kind = OrderEmail.Kind
State = OrderEmail.State

#: Refunds the buyer is told about. Money given back for a cancelled order (``release``) is
#: announced by the cancellation e-mail; a payment beyond what was owed (``surplus``) is not.
NOTIFIED_REFUNDS = (RefundReason.STAFF, RefundReason.CANCELLATION, RefundReason.PROVIDER)
#: After this many attempts that failed for a transient reason, an e-mail is given up (``failed``).
MAX_ATTEMPTS = 10
#: Pending e-mails untouched for this long are sent by :func:`send_pending_emails`.
PENDING_AFTER = timedelta(minutes=10)
#: Template directory; ``<kind>_subject.txt``, ``<kind>.txt`` and ``<kind>.html`` in it.
TEMPLATE_DIR = "ecommerce_kit/emails"
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


class RetryableEmailError(Exception):
    """Sending failed for a transient reason before the server took the message: try again."""


# --- Language and money ----------------------------------------------------------------------


def _supported(code: Any) -> str | None:
    if not isinstance(code, str) or not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_for(user: Any, order: Order | None = None) -> str:
    """The language to write to ``user`` in, one of ``settings.LANGUAGES``.

    The user's own (the attribute named by ``EMAIL_LANGUAGE_ATTRIBUTE``, when the user model has
    it), else the language ``order`` was placed in (for the buyer), else ``EMAIL_LANGUAGE``.
    """
    attribute = kit_settings.EMAIL_LANGUAGE_ATTRIBUTE
    candidates: list[Any] = []
    if attribute:
        value = getattr(user, attribute, None)
        candidates.append(value() if callable(value) else value)
    if order is not None:
        candidates.append(order.language)
    candidates.append(kit_settings.EMAIL_LANGUAGE)
    for code in candidates:
        language = _supported(code)
        if language is not None:
            return language
    return str(settings.LANGUAGE_CODE)


def money_locale(language: str) -> str:
    """The Babel locale that formats money in ``language`` (``EMAIL_MONEY_LOCALES``)."""
    return kit_settings.EMAIL_MONEY_LOCALES.get(language) or translation.to_locale(language)


def format_money(value: Money, language: str | None = None) -> str:
    """Format ``value`` for ``language`` (default: the active one): ``1 250,00 Kz`` in ``pt``."""
    from babel.core import UnknownLocaleError
    from moneyed.l10n import format_money as babel_format

    locale = money_locale(language or translation.get_language() or kit_settings.EMAIL_LANGUAGE)
    try:
        return str(babel_format(value, locale=locale))
    except (UnknownLocaleError, ValueError):
        return str(babel_format(value, locale="en"))


# --- Recording and sending -------------------------------------------------------------------


def celery_configured() -> bool:
    """Whether the host created a Celery app (it is then Celery's current app).

    Without one, Celery's current app is the fallback it makes up itself: named ``default``, not
    set as current, without fix-ups. A host's app may also be Celery's *default* app (Celery's
    Django fix-up makes the first app created the default one), so that is no sign of its absence.
    """
    try:
        from celery import current_app
    except ImportError:  # pragma: no cover - Celery is a dependency today
        return False
    app = current_app._get_current_object()
    return not (app.main == "default" and not app.set_as_current and not app.fixups)


def schedule(*, kind: str, order_id: int, subject_id: int) -> OrderEmail | None:
    """Record the e-mail ``kind`` about ``subject_id`` once, and send it unless it was sent.

    Called after the commit of the change it announces. Does nothing when ``EMAILS`` turns
    ``kind`` off.

    :returns: The recorded e-mail, or ``None`` when it is turned off.
    """
    recorded = schedule_many(order_id=order_id, emails=[(kind, subject_id)])
    return recorded[0] if recorded else None


def schedule_many(*, order_id: int, emails: list[tuple[str, int]]) -> list[OrderEmail]:
    """:func:`schedule` for several e-mails about one order, recorded in one statement, then sent
    in the order given.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: an e-mail recorded already is left as
    it is (the update rewrites its ``kind`` with the same value) and comes back with its id and
    current state, so only those still ``pending`` are sent, and a new one is never read again.

    :param emails: ``(kind, subject id)`` pairs; kinds that ``EMAILS`` turns off are left out.
    :returns: The recorded e-mails, in the order given.
    """
    enabled = kit_settings.EMAILS
    wanted = [(kind, subject_id) for kind, subject_id in emails if enabled.get(kind, False)]
    # One row per e-mail: a statement may not update the same row twice.
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    recorded = OrderEmail.objects.bulk_create(
        [OrderEmail(order_id=order_id, kind=kind, subject_id=subject) for kind, subject in wanted],
        update_conflicts=True,
        unique_fields=["order", "kind", "subject_id"],
        update_fields=["kind"],
    )
    for email in recorded:
        if email.state == State.PENDING:
            dispatch(email.pk)
    return recorded


def dispatch(email_id: int) -> None:
    """Send a recorded e-mail: through Celery when the host has an app, else here and now.

    Never raises: an e-mail that could not be handed to Celery, or failed for a transient reason,
    stays ``pending`` for :func:`send_pending_emails`.
    """
    if celery_configured():
        from ecommerce_kit.tasks import send_email

        try:
            send_email.delay(email_id)
        except Exception:
            logger.exception("Order e-mail %s not sent through Celery; it stays pending", email_id)
        return
    try:
        deliver(email_id)
    except RetryableEmailError as exc:
        logger.warning("Order e-mail %s not sent (%s); it stays pending", email_id, exc)


@dataclass
class _Prepared:
    order: Order
    user: Any
    address: str
    language: str
    context: dict[str, Any]
    message: EmailMultiAlternatives


def deliver(email_id: int) -> str:
    """Send the recorded e-mail ``email_id`` if it is still ``pending``; safe to call repeatedly.

    :returns: The e-mail's state afterwards (``sent``, ``skipped``, ``failed``, or the state it
        was found in when another caller had it).
    :raises RetryableEmailError: a transient failure; the e-mail is ``pending`` again.
    """
    # The order and its buyer come with the e-mail: what every e-mail is about and to.
    email = OrderEmail.objects.select_related("order__buyer").filter(pk=email_id).first()
    if email is None or email.state != State.PENDING:
        return email.state if email is not None else "missing"
    try:
        prepared = _prepare(email)
    except Exception as exc:
        logger.exception("Could not prepare order e-mail %s", email.pk)
        return _finish(email, State.FAILED, since=State.PENDING, error=_describe(exc))
    claimed = OrderEmail.objects.filter(pk=email.pk, state=State.PENDING).update(
        state=State.SENDING,
        attempts=F("attempts") + 1,
        claimed_at=timezone.now(),
        recipient=prepared.address,
        language=prepared.language,
        error="",
    )
    if not claimed:
        return str(OrderEmail.objects.values_list("state", flat=True).get(pk=email.pk))
    try:
        with translation.override(prepared.language):
            handled = plugins.send_order_email(
                kind=email.kind,
                order=prepared.order,
                context=prepared.context,
                recipient=prepared.user,
            )
        if handled:
            return _finish(email, State.SENT, by_plugin=True)
        if not prepared.address:
            return _finish(email, State.SKIPPED)
        _send(prepared.message)
    except RetryableEmailError as exc:
        attempts = email.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            logger.error("Order e-mail %s given up after %s attempts: %s", email.pk, attempts, exc)
            return _finish(email, State.FAILED, error=str(exc))
        _finish(email, State.PENDING, error=str(exc))
        raise
    except Exception as exc:
        logger.exception("Order e-mail %s failed", email.pk)
        return _finish(email, State.FAILED, error=_describe(exc))
    return _finish(email, State.SENT)


def _finish(email: OrderEmail, state: str, *, since: str = State.SENDING, **fields: Any) -> str:
    """Move the e-mail from ``since`` to ``state`` (the caller holds its claim)."""
    if state == State.SENT:
        fields["sent_at"] = timezone.now()
    OrderEmail.objects.filter(pk=email.pk, state=since).update(state=state, **fields)
    return state


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def _transient_reply(exc: BaseException) -> bool:
    """Whether the server refused with a ``4xx`` reply (try again later)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(400 <= code < 500 for code, _message in exc.recipients.values())
    return False


def _send(message: EmailMultiAlternatives) -> None:
    """Send through the configured backend, telling transient failures apart.

    The connection is opened first: failing to open it hands nothing over, so it is always safe
    to retry. After that only an explicit ``4xx`` reply is retried.
    """
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:
        raise RetryableEmailError(_describe(exc)) from exc
    try:
        message.connection = connection
        message.send()
    except Exception as exc:
        if _transient_reply(exc):
            raise RetryableEmailError(_describe(exc)) from exc
        raise
    finally:
        try:
            connection.close()
        except Exception:  # the message is out; a failing QUIT changes nothing
            logger.warning("Closing the e-mail connection failed", exc_info=True)


def send_pending_emails(*, older_than: timedelta = PENDING_AFTER) -> int:
    """Send the e-mails left ``pending`` (not queued, or retries given up) for ``older_than``.

    Safe to run on several workers at once: each e-mail is claimed before it is sent.

    :returns: How many were sent.
    """
    cutoff = timezone.now() - older_than
    email_ids = list(
        OrderEmail.objects.filter(state=State.PENDING)
        .filter(
            Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff),
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )
    sent = 0
    for email_id in email_ids:
        try:
            sent += deliver(email_id) == State.SENT
        except RetryableEmailError as exc:
            logger.warning("Order e-mail %s not sent (%s); it stays pending", email_id, exc)
    return sent


def send_again(email_ids: list[int]) -> int:
    """Send again e-mails that may not have arrived: ``failed``, ``skipped`` or stuck ``sending``.

    For staff (the admin's action). An e-mail stuck ``sending`` may have been sent already: only
    staff, who can ask the recipient, decide to send it again.

    :returns: How many were sent.
    """
    ids = list(
        OrderEmail.objects.filter(
            pk__in=email_ids, state__in=(State.FAILED, State.SKIPPED, State.SENDING)
        ).values_list("pk", flat=True)
    )
    OrderEmail.objects.filter(pk__in=ids).update(state=State.PENDING, attempts=0)
    sent = 0
    for email_id in ids:
        try:
            sent += deliver(email_id) == State.SENT
        except RetryableEmailError as exc:
            logger.warning("Order e-mail %s not sent (%s); it stays pending", email_id, exc)
    return sent


# --- Content ---------------------------------------------------------------------------------


def _display_name(user: Any) -> str:
    full_name = getattr(user, "get_full_name", None)
    name = full_name() if callable(full_name) else ""
    return str(name or user.get_username())


def _items_total(items: list[OrderItem], currency: str) -> Money:
    from moneyed import Money

    return sum((item.line_total for item in items), Money(0, currency))


def _context(email: OrderEmail, order: Order) -> tuple[Any, Order | None, dict[str, Any]]:
    """The recipient, the order whose language they may read, and the templates' context."""
    context: dict[str, Any] = {"kind": email.kind, "order": order}
    items = OrderItem.objects.filter(order=order).order_by("id")
    if email.kind in (Kind.ORDER_SHIPPED, Kind.FULFILMENT_DUE):
        fulfilment = Fulfilment.objects.select_related("store__owner").get(
            pk=email.subject_id, order=order
        )
        lines = list(items.filter(fulfilment=fulfilment))
        context.update(
            fulfilment=fulfilment,
            store=fulfilment.store,
            tracking_number=fulfilment.tracking_number,
            items_total=_items_total(lines, order.currency),
        )
        context["items"] = lines
        if email.kind == Kind.FULFILMENT_DUE:
            return fulfilment.store.owner, None, context
        return order.buyer, order, context
    if email.kind == Kind.ORDER_REFUNDED:
        entry = LedgerEntry.objects.get(pk=email.subject_id, payment__order=order)
        context.update(refund=entry.amount, refund_reason=entry.reason)
    if email.kind == Kind.ORDER_CANCELLED:
        context["items"] = list(items)
    else:
        context["items"] = list(items.exclude(fulfilment__status=FulfilmentStatus.CANCELLED))
    return order.buyer, order, context


def _prepare(email: OrderEmail) -> _Prepared:
    order = email.order
    user, language_order, context = _context(email, order)
    language = language_for(user, language_order)
    address = str(getattr(user, user.get_email_field_name(), "") or "")
    context.update(
        language=language,
        recipient=user,
        recipient_name=_display_name(user),
        shipping_address=order.shipping_address or {},
    )
    subject, text, html = render(email.kind, context, language)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=kit_settings.EMAIL_FROM,
        to=[address] if address else [],
    )
    message.attach_alternative(html, "text/html")
    return _Prepared(order, user, address, language, context, message)


def render(kind: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Render the subject, text and HTML of the e-mail ``kind`` in ``language``.

    Templates are looked up as usual, so a host overrides
    ``ecommerce_kit/emails/<kind>_subject.txt``, ``<kind>.txt`` or ``<kind>.html`` (and the
    ``base.txt`` / ``base.html`` they extend) by putting its own in a template directory.
    """
    with translation.override(language):
        subject = render_to_string(f"{TEMPLATE_DIR}/{kind}_subject.txt", context)
        text = render_to_string(f"{TEMPLATE_DIR}/{kind}.txt", context)
        html = render_to_string(f"{TEMPLATE_DIR}/{kind}.html", context)
    body = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip() + "\n"
    return " ".join(subject.split()), body, str(html)


# --- The plugin: what is sent when -----------------------------------------------------------


@hookimpl
def order_status_changed(order: Order, source: str, target: str) -> None:
    if target == OrderStatus.CONFIRMED:
        due: list[int] = []
        if kit_settings.EMAILS.get(Kind.FULFILMENT_DUE, False):
            due = list(
                Fulfilment.objects.filter(order_id=order.pk)
                .exclude(status=FulfilmentStatus.CANCELLED)
                .order_by("id")
                .values_list("pk", flat=True)
            )
        schedule_many(
            order_id=order.pk,
            emails=[
                (Kind.ORDER_CONFIRMED, order.pk),
                *((Kind.FULFILMENT_DUE, fulfilment_id) for fulfilment_id in due),
            ],
        )
    elif target == OrderStatus.DELIVERED:
        schedule(kind=Kind.ORDER_DELIVERED, order_id=order.pk, subject_id=order.pk)
    elif target == OrderStatus.CANCELLED and source != OrderStatus.PENDING:
        # An order cancelled before any money was held (declined, unpaid in time, superseded by a
        # new checkout) was never confirmed to the buyer: nothing to take back.
        schedule(kind=Kind.ORDER_CANCELLED, order_id=order.pk, subject_id=order.pk)


@hookimpl
def fulfilment_status_changed(fulfilment: Fulfilment, target: str) -> None:
    if target == FulfilmentStatus.SHIPPED:
        schedule(kind=Kind.ORDER_SHIPPED, order_id=fulfilment.order_id, subject_id=fulfilment.pk)


@hookimpl
def refund_succeeded(payment: Any, entry: Any) -> None:
    if entry.reason in NOTIFIED_REFUNDS:
        schedule(kind=Kind.ORDER_REFUNDED, order_id=payment.order_id, subject_id=entry.pk)
