"""URL helpers for the catalog tests."""

from __future__ import annotations

from django.urls import reverse


def products_url() -> str:
    return reverse("ecommerce_kit:product-list")


def product_url(pk: int) -> str:
    return reverse("ecommerce_kit:product-detail", kwargs={"pk": pk})


def stores_url() -> str:
    return reverse("ecommerce_kit:store-list")


def store_url(slug: str) -> str:
    return reverse("ecommerce_kit:store-detail", kwargs={"slug": slug})


def approve_url(slug: str) -> str:
    return reverse("ecommerce_kit:store-approve", kwargs={"slug": slug})


def categories_url() -> str:
    return reverse("ecommerce_kit:category-list")


def category_url(pk: int) -> str:
    return reverse("ecommerce_kit:category-detail", kwargs={"pk": pk})
