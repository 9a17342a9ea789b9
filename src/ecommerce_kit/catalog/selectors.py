"""Read-only catalog queries shared by the other apps."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, F, Func, Prefetch, Q, QuerySet

from ecommerce_kit.catalog.models import Category, Product, Store

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

#: The condition for a product's store to be selling (active and approved).
STORE_SELLING = Q(store__is_active=True, store__is_approved=True)


def list_selling_stores() -> QuerySet[Store]:
    """Stores that are active and approved."""
    return Store.objects.filter(is_active=True, is_approved=True)


def list_available_products() -> QuerySet[Product]:
    """Active products of active, approved stores (groups, standalones and variants)."""
    return Product.objects.filter(STORE_SELLING, is_active=True)


class HasVariants(Func):
    """``EXISTS (SELECT 1 FROM <products> WHERE parent_id = <product>)``: whether the product
    given (an expression: its ``pk``, or a line's ``product_id``) has variants, active or not.

    The same SQL as ``Exists(Product.objects.filter(parent=OuterRef(...)))``, written out: a
    nested queryset is compiled again for every request, which costs more than the query itself
    on the cart and checkout paths. The variants' index (``ek_product_variant_price``) answers it.
    """

    output_field = BooleanField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        quote = connection.ops.quote_name
        table = quote(Product._meta.db_table)
        parent = quote(Product._meta.get_field("parent").column)
        template = f"EXISTS (SELECT 1 FROM {table} V WHERE V.{parent} = %(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def with_is_group(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate ``is_group``: the product has variants (active or not) pointing to it."""
    return queryset.annotate(is_group=HasVariants(F("pk")))


def is_group(product: Product) -> bool:
    """Whether ``product`` groups variants (and so cannot be bought itself)."""
    annotated = getattr(product, "is_group", None)
    if annotated is not None:
        return bool(annotated)
    prefetched = product.__dict__.get("prefetched_variants")
    if prefetched is not None:
        return bool(prefetched)
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


# --- API read paths -----------------------------------------------------------------------------


@functools.cache
def _variants() -> QuerySet[Product]:
    # Built once per process and cloned for each use (``.all()``): building a queryset clones
    # it at every step, which costs more than one clone.
    return Product.objects.select_related("category", "store", "rating").order_by("id")


def variants_prefetch() -> Prefetch:
    """Prefetch a product's variants, active or not, into ``prefetched_variants``.

    :func:`is_group` and :func:`active_variants` then read them instead of querying: a product
    with variants is a group, and the active ones are shown. Telling groups apart this way, and
    not with an ``EXISTS`` in the page's query, keeps that query from reading every variant of
    the catalog (PostgreSQL hashes the whole ``parent_id`` index for it on a large table).
    """
    return Prefetch("variants", queryset=_variants().all(), to_attr="prefetched_variants")


def active_variants(product: Product) -> list[Product]:
    """The active variants of ``product``, by id (prefetched by :func:`variants_prefetch`, or
    read now)."""
    prefetched = product.__dict__.get("prefetched_variants")
    if prefetched is not None:
        return [variant for variant in prefetched if variant.is_active]
    return list(_variants().filter(parent=product, is_active=True))


def _with_api_joins(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.select_related("category", "store", "rating")


def with_api_relations(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Load what the product shape needs in a fixed number of queries.

    One JOIN for category, store and rating, and one prefetch query for the variants of every
    product on the page (:func:`variants_prefetch`).
    """
    return _with_api_joins(queryset).prefetch_related(variants_prefetch())


@functools.cache
def _catalog_products() -> QuerySet[Product]:
    return _with_api_joins(list_available_products().filter(parent__isnull=True))


def list_catalog_products() -> QuerySet[Product]:
    """The public product list: groups and standalone products that are available."""
    return _catalog_products().prefetch_related(variants_prefetch())


def list_visible_products(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Product]:
    """Active products that ``user`` may look at one by one (groups, standalones and variants).

    Everybody sees the products of selling stores; a store owner also sees the products of their
    own store while it is pending or deactivated, and staff see every active product. A variant is
    visible only while its group is active.
    """
    if user is None or not user.is_authenticated:
        return _publicly_visible_products().prefetch_related(variants_prefetch())
    staff = getattr(user, "is_staff", False)
    visible = Q() if staff else STORE_SELLING | Q(store__owner_id=user.pk)
    return with_api_relations(_visible(Product.objects.filter(visible)))


def _visible(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.filter(is_active=True).filter(
        Q(parent__isnull=True) | Q(parent__is_active=True)
    )


@functools.cache
def _publicly_visible_products() -> QuerySet[Product]:
    return _with_api_joins(_visible(Product.objects.filter(STORE_SELLING)))


def list_visible_stores(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Store]:
    """Stores ``user`` may look at: selling ones, plus their own, plus every store for staff."""
    if user is not None and user.is_authenticated:
        if getattr(user, "is_staff", False):
            return Store.objects.all()
        return Store.objects.filter(Q(is_active=True, is_approved=True) | Q(owner_id=user.pk))
    return list_selling_stores()


def list_active_categories() -> QuerySet[Category]:
    """Active categories, by name."""
    return Category.objects.filter(is_active=True)


def get_category_with_descendants(slug: str) -> list[int] | None:
    """Return the ids of the active category ``slug`` and of all its descendants.

    The whole tree is read with one query and walked in Python, so the depth does not matter.

    :returns: The ids, or ``None`` when no active category has that slug.
    """
    rows = list(Category.objects.values_list("id", "parent_id", "slug", "is_active"))
    root = next((pk for pk, _parent, s, active in rows if s == slug and active), None)
    if root is None:
        return None
    children: dict[int, list[int]] = {}
    for pk, parent_id, _slug, _active in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(pk)
    found: list[int] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        pk = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        found.append(pk)
        stack.extend(children.get(pk, ()))
    return found


def can_manage_product(product: Product, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether ``user`` may change or delete ``product``: its store's owner, or staff."""
    if user is None or not user.is_authenticated:
        return False
    return bool(getattr(user, "is_staff", False)) or product.store.owner_id == user.pk
