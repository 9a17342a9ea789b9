"""Product reviews: one per user and product, rated 1 to 5, moderated through ``is_public``.

The per-product aggregate (:class:`ecommerce_kit.catalog.models.ProductRating`) is kept exact by
:mod:`ecommerce_kit.reviews.services`; write reviews through those services, not with the ORM.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ecommerce_kit.catalog.models import Product

MIN_RATING = 1
MAX_RATING = 5
TITLE_MAX_LENGTH = 200


class Review(models.Model):
    """A user's review of one product.

    Only public reviews are listed and counted in the product's rating; staff hide a review by
    setting ``is_public=False`` through
    :func:`ecommerce_kit.reviews.services.set_review_visibility`.
    """

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="reviews"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="ecommerce_reviews",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)],
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH, blank=True, default="")
    body = models.TextField(_("body"), blank=True, default="")
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Hidden reviews are not listed and do not count in the product's rating."),
    )
    verified_purchase = models.BooleanField(
        _("verified purchase"),
        default=False,
        help_text=_("The author had a delivered order of the product when writing the review."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="ek_review_one_per_user"),
            models.CheckConstraint(
                condition=Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING),
                name="ek_review_rating_1_to_5",
            ),
        ]
        indexes = [
            # The public reviews of a product, newest first (the default listing).
            models.Index(
                fields=["product", "is_public", "-created_at", "-id"], name="ek_review_listing"
            ),
            # Listing by rating, and recomputing a product's aggregate from its reviews.
            models.Index(fields=["product", "is_public", "rating"], name="ek_review_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.product_id} by {self.user_id}"
