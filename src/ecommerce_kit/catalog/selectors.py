"""Read-only catalog queries shared by the other apps."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ecommerce_kit.catalog.models import Product, Store

#: The condition for a product's store to be selling (active and approved).
STORE_SELLING = Q(store__is_active=True, store__is_approved=True)


def list_selling_stores() -> QuerySet[Store]:
    """Stores that are active and approved."""
    return Store.objects.filter(is_active=True, is_approved=True)


def list_available_products() -> QuerySet[Product]:
    """Active products of active, approved stores (groups, standalones and variants)."""
    return Product.objects.filter(STORE_SELLING, is_active=True)


def with_is_group(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate ``is_group``: the product has variants (active or not) pointing to it."""
    return queryset.annotate(
        is_group=Exists(Product.objects.filter(parent=OuterRef("pk")))
    )


def is_group(product: Product) -> bool:
    """Whether ``product`` groups variants (and so cannot be bought itself)."""
    annotated = getattr(product, "is_group", None)
    if annotated is not None:
        return bool(annotated)
    return product.parent_id is None and Product.objects.filter(parent=product).exists()


def is_available(product: Product) -> bool:
    """Whether ``product`` is active and sold by an active, approved store.

    A variant is available only while its group is active too.
    """
    if not product.is_active or not product.store.is_selling:
        return False
    if product.parent_id is not None and not product.parent.is_active:  # type: ignore[union-attr]
        return False
    return True


def is_purchasable(product: Product) -> bool:
    """Whether ``product`` can go into a cart: available and not a group of variants."""
    return is_available(product) and not is_group(product)
