"""Read-only queries of the reviews app."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from ecommerce_kit.catalog.models import Product, Store
from ecommerce_kit.catalog.selectors import list_available_products
from ecommerce_kit.money import ROUNDING
from ecommerce_kit.orders.models import OrderItem
from ecommerce_kit.orders.states import OrderStatus
from ecommerce_kit.reviews.models import MAX_RATING, MIN_RATING, Review

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

#: The ``ordering`` values the review list accepts, and the ORDER BY each one means. Ties are
#: broken newest first, then by id, so pages never overlap.
REVIEW_ORDERINGS: dict[str, tuple[str, ...]] = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-rating": ("-rating", "-created_at", "-id"),
    "rating": ("rating", "-created_at", "-id"),
}
DEFAULT_REVIEW_ORDERING = "-created_at"
RATINGS = range(MIN_RATING, MAX_RATING + 1)
_AVERAGE_PLACES = Decimal("0.01")


def list_visible_products() -> QuerySet[Product]:
    """Products whose reviews and rating are shown: available, and for a variant, its group too.

    :returns: Active products of active, approved stores whose group (if any) is active.
    """
    return list_available_products().filter(Q(parent__isnull=True) | Q(parent__is_active=True))


def get_visible_product(product_id: int) -> Product | None:
    """Return the visible product ``product_id`` (with its rating row joined), or ``None``."""
    return list_visible_products().select_related("rating").filter(pk=product_id).first()


def owns_product(*, user: AbstractBaseUser, product: Product) -> bool:
    """Whether ``user`` owns the store that sells ``product`` (and so may not review it)."""
    return Store.objects.filter(pk=product.store_id, owner_id=user.pk).exists()


def has_purchased(*, user: AbstractBaseUser, product: Product | int) -> bool:
    """Whether ``user`` has a delivered order containing ``product`` (the variant itself)."""
    product_id = product if isinstance(product, int) else product.pk
    return OrderItem.objects.filter(
        order__buyer_id=user.pk,
        order__status=OrderStatus.DELIVERED,
        product_id=product_id,
    ).exists()


def can_see_review(*, review: Review, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Public reviews are seen by anyone; hidden ones by their author and staff only."""
    if review.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return bool(review.user_id == user.pk or getattr(user, "is_staff", False))


def list_public_reviews(
    *, product: Product | int, ordering: str = DEFAULT_REVIEW_ORDERING
) -> QuerySet[Review]:
    """The public reviews of ``product`` in the given ``ordering`` (a key of
    :data:`REVIEW_ORDERINGS`), with their authors joined.

    :raises KeyError: for an unknown ``ordering``.
    """
    product_id = product if isinstance(product, int) else product.pk
    return (
        Review.objects.filter(product_id=product_id, is_public=True)
        .select_related("user")
        .order_by(*REVIEW_ORDERINGS[ordering])
    )


@dataclass(frozen=True)
class RatingValues:
    """What a product's :class:`~ecommerce_kit.catalog.models.ProductRating` row should hold."""

    count: int
    total: int
    average: Decimal | None
    distribution: tuple[int, ...]

    @classmethod
    def from_distribution(cls, distribution: tuple[int, ...]) -> RatingValues:
        count = sum(distribution)
        total = sum(n * stars for n, stars in zip(distribution, RATINGS, strict=True))
        return cls(
            count=count,
            total=total,
            average=compute_average(total=total, count=count),
            distribution=distribution,
        )

    @classmethod
    def of_row(cls, row: Any) -> RatingValues:
        """Read the values stored in a ``ProductRating`` row (``None``: no row, all zero)."""
        if row is None:
            return cls.from_distribution((0, 0, 0, 0, 0))
        return cls(
            count=row.count,
            total=row.total,
            average=row.average,
            distribution=tuple(getattr(row, f"count_{n}") for n in RATINGS),
        )


def compute_average(*, total: int, count: int) -> Decimal | None:
    """Return ``total / count`` rounded half up to 2 places, or ``None`` when ``count`` is 0."""
    if count == 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(_AVERAGE_PLACES, rounding=ROUNDING)


def _distribution_aggregates() -> dict[str, Any]:
    return {f"count_{n}": Count("pk", filter=Q(rating=n)) for n in RATINGS}


def compute_rating(product: Product | int) -> RatingValues:
    """Recompute a product's rating from its public reviews (one query)."""
    product_id = product if isinstance(product, int) else product.pk
    row = Review.objects.filter(product_id=product_id, is_public=True).aggregate(
        **_distribution_aggregates()
    )
    return RatingValues.from_distribution(tuple(row[f"count_{n}"] for n in RATINGS))


def compute_all_ratings() -> dict[int, RatingValues]:
    """Recompute the rating of every product that has public reviews (one query).

    :returns: ``{product_id: values}``; products without public reviews are absent.
    """
    names = [f"count_{n}" for n in RATINGS]
    rows = (
        Review.objects.filter(is_public=True)
        .order_by()
        .values("product_id")
        .annotate(**_distribution_aggregates())
        .values_list("product_id", *names)
    )
    return {row[0]: RatingValues.from_distribution(tuple(row[1:])) for row in rows}
