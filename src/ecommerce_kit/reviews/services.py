"""Every write to reviews, and the bookkeeping that keeps each product's rating exact.

The aggregate (:class:`~ecommerce_kit.catalog.models.ProductRating`) is changed in the same
transaction as the review, while its row is locked with ``SELECT ... FOR UPDATE`` (the row is
created first when missing), so concurrent writes to one product's reviews are applied one after
the other and no update is lost. On SQLite, ``transaction_mode="IMMEDIATE"`` serializes the writers
instead. Locks are always taken in the same order, review rows (by id) before rating rows (by
product id), so writers never deadlock each other.

Deleting a review in any way that sends Django's delete signals (``review.delete()``, a queryset
delete, the admin, a cascade from a deleted user) also updates the aggregate; see
:func:`lock_review_before_delete` and :func:`update_rating_after_delete`. Bulk ``update()`` and raw
SQL bypass this bookkeeping: run ``manage.py rebuild_ratings`` after such changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ecommerce_kit import plugins
from ecommerce_kit.catalog.models import ProductRating
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import (
    AlreadyReviewedError,
    InvalidInputError,
    NotFoundError,
    OwnProductError,
    PermissionDeniedError,
    PurchaseRequiredError,
)
from ecommerce_kit.reviews import selectors
from ecommerce_kit.reviews.models import MAX_RATING, MIN_RATING, TITLE_MAX_LENGTH, Review
from ecommerce_kit.reviews.selectors import RATINGS, RatingValues

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

BODY_MAX_LENGTH = 10_000
_UNSET: Any = object()

__all__ = [
    "BODY_MAX_LENGTH",
    "RatingDrift",
    "create_review",
    "delete_review",
    "rebuild_ratings",
    "recompute_rating",
    "set_review_visibility",
    "update_review",
]


# --- Validation ------------------------------------------------------------------------------


def _validate_rating(rating: Any) -> int:
    if (
        isinstance(rating, bool)
        or not isinstance(rating, int)
        or not MIN_RATING <= rating <= MAX_RATING
    ):
        raise InvalidInputError(
            fields={
                "rating": [
                    _("Rating must be an integer from %(min)d to %(max)d.")
                    % {"min": MIN_RATING, "max": MAX_RATING}
                ]
            }
        )
    return rating


def _validate_text(name: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(fields={name: [_("Not a valid string.")]})
    if len(value) > max_length:
        raise InvalidInputError(
            fields={
                name: [
                    _("Ensure this field has no more than %(max)d characters.")
                    % {"max": max_length}
                ]
            }
        )
    return value


# --- The aggregate ---------------------------------------------------------------------------


def _lock_ratings(product_ids: Iterable[int]) -> dict[int, ProductRating]:
    """Create the missing rating rows of ``product_ids``, then lock them all, in id order."""
    ids = sorted(set(product_ids))
    existing = set(ProductRating.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [ProductRating(product_id=pk) for pk in ids if pk not in existing]
    if missing:
        # Another transaction may create the same rows meanwhile; ours then just finds them.
        ProductRating.objects.bulk_create(missing, ignore_conflicts=True)
    rows = ProductRating.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def _lock_rating(product_id: int) -> ProductRating:
    return _lock_ratings([product_id])[product_id]


def _store(row: ProductRating, values: RatingValues) -> None:
    row.count = values.count
    row.total = values.total
    row.average = values.average
    for stars, n in zip(RATINGS, values.distribution, strict=True):
        setattr(row, f"count_{stars}", n)
    row.save()


def _apply(row: ProductRating, *, add: Iterable[int] = (), remove: Iterable[int] = ()) -> None:
    """Move public ratings into (``add``) and out of (``remove``) the locked ``row``.

    Call it after the reviews themselves were written. Should the row have drifted from the
    reviews (a bucket would go negative), it is recomputed from the reviews instead, which the
    row lock makes exact.
    """
    distribution = [getattr(row, f"count_{stars}") for stars in RATINGS]
    for stars in remove:
        distribution[stars - MIN_RATING] -= 1
    for stars in add:
        distribution[stars - MIN_RATING] += 1
    if min(distribution) < 0:
        logger.warning(
            "The rating of product %s had drifted from its reviews; recomputing it.", row.pk
        )
        values = selectors.compute_rating(row.pk)
    else:
        values = RatingValues.from_distribution(tuple(distribution))
    _store(row, values)


def recompute_rating(*, product_id: int) -> ProductRating:
    """Recompute the rating of ``product_id`` from its public reviews, under the row lock.

    :returns: The saved rating row.
    """
    with transaction.atomic():
        row = _lock_rating(product_id)
        _store(row, selectors.compute_rating(product_id))
    return row


@dataclass(frozen=True)
class RatingDrift:
    """A product whose stored rating differed from a recomputation from its public reviews."""

    product_id: int
    stored: RatingValues
    expected: RatingValues


def rebuild_ratings(*, fix: bool = True) -> list[RatingDrift]:
    """Compare every product's stored rating with its public reviews; fix those that differ.

    Products are compared in bulk first; each product that differs is then compared again, and
    fixed, under its row lock, so a write that was in progress is not mistaken for drift.

    :param fix: ``False`` only reports.
    :returns: The products that had drifted, by product id.
    """
    expected = selectors.compute_all_ratings()
    stored = {row.pk: RatingValues.of_row(row) for row in ProductRating.objects.iterator()}
    zero = RatingValues.of_row(None)
    candidates = sorted(
        pk for pk in set(expected) | set(stored) if expected.get(pk, zero) != stored.get(pk, zero)
    )
    drifts: list[RatingDrift] = []
    for product_id in candidates:
        with transaction.atomic():
            if fix:
                row: ProductRating | None = _lock_rating(product_id)
            else:
                row = ProductRating.objects.filter(pk=product_id).first()
            now_stored = RatingValues.of_row(row)
            now_expected = selectors.compute_rating(product_id)
            if now_stored == now_expected:
                continue
            drifts.append(RatingDrift(product_id, now_stored, now_expected))
            if fix and row is not None:
                _store(row, now_expected)
    return drifts


# --- Reviews ---------------------------------------------------------------------------------


def create_review(
    *, user: AbstractBaseUser, product_id: int, rating: int, title: str = "", body: str = ""
) -> Review:
    """Create ``user``'s review of a product and count it in the product's rating.

    The owner of the product's store may not review it, whatever they bought. Unless
    ``REVIEWS_REQUIRE_PURCHASE`` is off, the user needs a delivered order containing the product
    (for a variant, that variant). ``verified_purchase`` records whether they have one.
    Plugins' ``review_created`` hook is called once the transaction commits.

    :param user: The author (an authenticated user).
    :param product_id: The product reviewed; it must be visible (active, selling store).
    :param rating: An integer from 1 to 5.
    :raises InvalidInputError: bad ``rating``, ``title`` or ``body`` (400).
    :raises NotFoundError: the product is unknown or not visible (404).
    :raises OwnProductError: the user owns the product's store (403).
    :raises PurchaseRequiredError: the user has no delivered order of the product (403).
    :raises AlreadyReviewedError: the user has already reviewed it (409), also when two requests
        race.
    :returns: The saved review.
    """
    rating = _validate_rating(rating)
    title = _validate_text("title", title, TITLE_MAX_LENGTH)
    body = _validate_text("body", body, BODY_MAX_LENGTH)
    with transaction.atomic():
        product = selectors.get_visible_product(product_id)
        if product is None:
            raise NotFoundError(_("Product not found."))
        if selectors.owns_product(user=user, product=product):
            raise OwnProductError()
        bought = selectors.has_purchased(user=user, product=product)
        if not bought and kit_settings.REVIEWS_REQUIRE_PURCHASE:
            raise PurchaseRequiredError()
        row = _lock_rating(product.pk)
        if Review.objects.filter(user_id=user.pk, product_id=product.pk).exists():
            raise AlreadyReviewedError()
        try:
            with transaction.atomic():
                review = Review.objects.create(  # type: ignore[misc]
                    product=product,
                    user=user,
                    rating=rating,
                    title=title,
                    body=body,
                    verified_purchase=bought,
                )
        except IntegrityError:
            if Review.objects.filter(user_id=user.pk, product_id=product.pk).exists():
                raise AlreadyReviewedError() from None
            raise
        if review.is_public:
            _apply(row, add=[review.rating])
        plugins.notify_review_created(review=review)
    return review


def _get_for_write(review_id: int, user: AbstractBaseUser) -> Review:
    """Lock review ``review_id``; 404 unless ``user`` may see it."""
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None or not selectors.can_see_review(review=review, user=user):
        raise NotFoundError(_("Review not found."))
    return review


def update_review(
    *,
    review_id: int,
    user: AbstractBaseUser,
    rating: int = _UNSET,
    title: str = _UNSET,
    body: str = _UNSET,
) -> Review:
    """Let the author change their review; the product's rating follows in the same transaction.

    Arguments left out are not changed.

    :raises NotFoundError: no such review, or a hidden review of someone else (404).
    :raises PermissionDeniedError: a public review by someone else (403).
    :raises InvalidInputError: bad ``rating``, ``title`` or ``body`` (400).
    :returns: The saved review.
    """
    changes: dict[str, Any] = {}
    if rating is not _UNSET:
        changes["rating"] = _validate_rating(rating)
    if title is not _UNSET:
        changes["title"] = _validate_text("title", title, TITLE_MAX_LENGTH)
    if body is not _UNSET:
        changes["body"] = _validate_text("body", body, BODY_MAX_LENGTH)
    with transaction.atomic():
        review = _get_for_write(review_id, user)
        if review.user_id != user.pk:
            raise PermissionDeniedError(_("Only the author may edit a review."))
        changes = {
            field: value for field, value in changes.items() if getattr(review, field) != value
        }
        if not changes:
            return review
        old_rating = review.rating
        for field, value in changes.items():
            setattr(review, field, value)
        moves = review.is_public and review.rating != old_rating
        row = _lock_rating(review.product_id) if moves else None
        review.save()
        if row is not None:
            _apply(row, add=[review.rating], remove=[old_rating])
    return review


def delete_review(*, review_id: int, user: AbstractBaseUser) -> None:
    """Delete a review, as its author or as staff; the product's rating follows.

    :raises NotFoundError: no such review, or a hidden review of someone else (404).
    :raises PermissionDeniedError: a public review by someone else, for a non-staff user (403).
    """
    with transaction.atomic():
        review = _get_for_write(review_id, user)
        if review.user_id != user.pk and not getattr(user, "is_staff", False):
            raise PermissionDeniedError(_("Only the author or staff may delete a review."))
        review.delete()  # the delete signals update the rating, in this transaction


def set_review_visibility(*, review_ids: Iterable[int], is_public: bool) -> int:
    """Show or hide reviews (moderation); hidden reviews leave their products' ratings.

    :param review_ids: The reviews to change; unknown ids and reviews already in the wanted
        state are skipped.
    :param is_public: ``False`` hides, ``True`` shows.
    :returns: How many reviews changed.
    """
    ids = sorted({int(pk) for pk in review_ids})
    if not ids:
        return 0
    with transaction.atomic():
        changing = list(
            Review.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(is_public=is_public)
            .order_by("pk")
            .values_list("pk", "product_id", "rating")
        )
        if not changing:
            return 0
        rows = _lock_ratings(product_id for _pk, product_id, _rating in changing)
        Review.objects.filter(pk__in=[pk for pk, _product, _rating in changing]).update(
            is_public=is_public
        )
        by_product: dict[int, list[int]] = {}
        for _pk, product_id, rating in changing:
            by_product.setdefault(product_id, []).append(rating)
        for product_id, ratings in by_product.items():
            if is_public:
                _apply(rows[product_id], add=ratings)
            else:
                _apply(rows[product_id], remove=ratings)
    return len(changing)


# --- Delete signals (connected in ReviewsConfig.ready) ---------------------------------------

_STATE_ATTR = "_ecommerce_kit_state_before_delete"


def lock_review_before_delete(sender: type[Review], instance: Review, **kwargs: Any) -> None:
    """Lock the review row being deleted and remember its current rating and visibility.

    Re-reading under the lock makes a concurrent edit count with its final value, and lets a
    review deleted twice at the same time leave the aggregate only once.
    """
    state = (
        Review.objects.select_for_update()
        .filter(pk=instance.pk)
        .values_list("rating", "is_public")
        .first()
    )
    setattr(instance, _STATE_ATTR, state)


def update_rating_after_delete(sender: type[Review], instance: Review, **kwargs: Any) -> None:
    """Take a deleted public review out of its product's rating (same transaction)."""
    state = instance.__dict__.pop(_STATE_ATTR, None)
    if state is None:
        return
    rating, is_public = state
    if not is_public:
        return
    # Without a row (none was created, or the product is being deleted) there is nothing to fix.
    row = ProductRating.objects.select_for_update().filter(pk=instance.product_id).first()
    if row is not None:
        _apply(row, remove=[rating])
