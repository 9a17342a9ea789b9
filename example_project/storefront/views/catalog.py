"""Browsing: the category tree, search, filters and sorting, and the product page.

The list is the kit's own product list (``list_catalog_products``) filtered by the kit's
``ProductFilterSet``, the same code behind ``GET /api/v1/products/``; the storefront adds a
minimum rating on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecommerce_kit.catalog import selectors
from ecommerce_kit.catalog.filters import ProductFilterSet, matches_self_or_variant
from ecommerce_kit.catalog.models import Category
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.wishlist.models import WishlistItem

PAGE_SIZE = 24

#: The sort choices offered, as the kit's ``ordering`` values.
SORTS = (
    ("-created_at", gettext_lazy("Newest")),
    ("price", gettext_lazy("Price: low to high")),
    ("-price", gettext_lazy("Price: high to low")),
    ("-rating", gettext_lazy("Best rated")),
    ("name", gettext_lazy("Name")),
)
RATINGS = (4, 3, 2, 1)


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)


def category_tree() -> list[CategoryNode]:
    """The active categories as a tree (one query); a child of an inactive parent is left out."""
    nodes = {c.pk: CategoryNode(c) for c in selectors.list_active_categories().order_by("name")}
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent_id = node.category.parent_id
        if parent_id is None:
            roots.append(node)
        elif parent_id in nodes:
            nodes[parent_id].children.append(node)
    return roots


def _min_rating(value: str | None) -> int | None:
    try:
        rating = int(value or "")
    except ValueError:
        return None
    return rating if rating in RATINGS else None


def product_list(request: HttpRequest) -> HttpResponse:
    """The product list: search, category, store, price range, minimum rating and sort."""
    params = QueryDict(mutable=True)
    for name in ("search", "category", "store", "min_price", "max_price", "ordering"):
        value = request.GET.get(name, "").strip()
        if value:
            params[name] = value
    filterset = ProductFilterSet(
        data=params, queryset=selectors.list_catalog_products(), request=request
    )
    errors: list[str] = []
    if filterset.is_valid():
        products = filterset.qs
    else:
        errors = [str(m) for messages in filterset.form.errors.values() for m in messages]
        products = selectors.list_catalog_products().none()
    min_rating = _min_rating(request.GET.get("min_rating"))
    if min_rating is not None:
        # A group is rated through its variants (reviews are of the variant bought).
        products = products.filter(matches_self_or_variant(Q(rating__average__gte=min_rating)))
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    category = None
    if params.get("category"):
        category = selectors.list_active_categories().filter(slug=params["category"]).first()
    return render(
        request,
        "storefront/product_list.html",
        {
            "page": page,
            "tree": category_tree(),
            "stores": selectors.list_selling_stores().order_by("name"),
            "sorts": SORTS,
            "ratings": RATINGS,
            "selected": {**params.dict(), "min_rating": min_rating},
            "category": category,
            "errors": errors,
            "query": query.urlencode(),
        },
    )


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A product with its variants, price, stock, ratings distribution and public reviews."""
    product = (
        selectors.list_visible_products(request.user)
        .filter(slug=slug, parent__isnull=True)
        .select_related("category__parent")
        .first()
    )
    if product is None:
        raise Http404(_("No such product."))
    variants = selectors.active_variants(product)  # prefetched with the product
    # A group's reviews are those of its variants (a buyer reviews the variant they bought).
    rated = [product, *variants]
    counts = {
        stars: sum(getattr(getattr(p, "rating", None), f"count_{stars}", 0) for p in rated)
        for stars in (5, 4, 3, 2, 1)
    }
    count = sum(counts.values())
    distribution = [
        {"stars": stars, "count": n, "percent": round(100 * n / count) if count else 0}
        for stars, n in counts.items()
    ]
    average = (
        (Decimal(sum(stars * n for stars, n in counts.items())) / count).quantize(Decimal("0.01"))
        if count
        else None
    )
    reviews = (
        Review.objects.filter(product_id__in=[p.pk for p in rated], is_public=True)
        .select_related("user", "product")
        .order_by("-created_at", "-id")[:20]
    )
    in_wishlist = (
        request.user.is_authenticated
        and WishlistItem.objects.filter(user=request.user, product=product).exists()
    )
    buyable = [v for v in variants if selectors.is_purchasable(v)] if variants else []
    return render(
        request,
        "storefront/product_detail.html",
        {
            "product": product,
            "variants": variants,
            "buyable_variants": buyable,
            "purchasable": bool(buyable) if variants else selectors.is_purchasable(product),
            "rating": {"average": average, "count": count} if count else None,
            "distribution": distribution,
            "reviews": reviews,
            "in_wishlist": in_wishlist,
        },
    )
