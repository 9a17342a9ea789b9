"""Routes of reviews and product ratings (included by :mod:`ecommerce_kit.urls`)."""

from __future__ import annotations

from django.urls import path

from ecommerce_kit.reviews import views

urlpatterns = [
    path(
        "products/<int:product_id>/reviews/",
        views.ProductReviewsView.as_view(),
        name="reviews-list",
    ),
    path(
        "products/<int:product_id>/rating/",
        views.ProductRatingView.as_view(),
        name="product-rating",
    ),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="reviews-detail"),
]
