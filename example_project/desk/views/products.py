"""The store's products: list, create, edit, variants, deactivation and stock.

Every write is one call to the kit's catalog services (``create_product``, ``update_product``,
``soft_delete_product``), the same ones behind ``POST`` / ``PATCH`` / ``DELETE
/api/v1/products/``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from storefront.errors import report
from storefront.navigation import local_target

from desk.access import store_required
from desk.errors import show_on_form
from desk.forms import ProductForm, StockForm
from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Product, Store
from ecommerce_kit.exceptions import EcommerceKitError

PAGE_SIZE = 25


def _own_product(store: Store, product_id: int) -> Product:
    """The store's product ``product_id`` (active or not), or a 404."""
    product = (
        Product.objects.filter(store=store, pk=product_id)
        .select_related("category__parent", "parent")
        .first()
    )
    if product is None:
        raise Http404(_("No such product in your store."))
    return product


def _search(queryset: QuerySet[Product], request: HttpRequest) -> tuple[QuerySet[Product], str]:
    """Products whose name, or one of whose variants' names, contains the words searched."""
    words = request.GET.get("q", "").strip()
    if words:
        variant = Product.objects.filter(parent=OuterRef("pk"), name__icontains=words)
        queryset = queryset.filter(Q(name__icontains=words) | Exists(variant))
    return queryset, words


def _selling_problem(request: HttpRequest) -> str | None:
    """Why the user's store may not create products now (the kit's words), or ``None``."""
    try:
        services.get_selling_store(request.user)  # type: ignore[arg-type]
    except EcommerceKitError as exc:
        return str(exc.message)
    return None


@store_required
def product_list(request: HttpRequest, store: Store) -> HttpResponse:
    """The store's products and groups of variants: on sale first, then the others, by name."""
    queryset = (
        store.products.filter(parent__isnull=True)
        .select_related("category__parent")
        .annotate(variant_count=Count("variants", filter=Q(variants__is_active=True)))
        .order_by("-is_active", "name", "id")
    )
    queryset, words = _search(queryset, request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "desk/product_list.html",
        {
            "store": store,
            "section": "products",
            "page": page,
            "q": words,
            "problem": _selling_problem(request),
        },
    )


@store_required
def product_create(request: HttpRequest, store: Store) -> HttpResponse:
    """A new standalone product (a group once it has variants)."""
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(
                seller=request.user,  # type: ignore[arg-type]
                **form.values(),
            )
        except EcommerceKitError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("“%(name)s” was created.") % {"name": product.name})
            return redirect("desk:product", product.pk)
    return render(
        request,
        "desk/product_form.html",
        {"store": store, "section": "products", "form": form, "problem": _selling_problem(request)},
    )


@store_required
def product_edit(request: HttpRequest, store: Store, product_id: int) -> HttpResponse:
    """Change a product or a variant: name, description, category, price, stock, attributes."""
    product = _own_product(store, product_id)
    variant = product.parent_id is not None
    form = ProductForm(
        request.POST or None, initial=ProductForm.initial_for(product), variant=variant
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.update_product(
                product=product,
                actor=request.user,  # type: ignore[arg-type]
                **form.values(),
            )
        except EcommerceKitError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": saved.name})
            return redirect("desk:product", saved.pk)
    variants = (
        []
        if variant
        else list(Product.objects.filter(parent=product).order_by("-is_active", "name", "id"))
    )
    return render(
        request,
        "desk/product_edit.html",
        {
            "store": store,
            "section": "products",
            "product": product,
            "form": form,
            "variants": variants,
        },
    )


@store_required
def variant_create(request: HttpRequest, store: Store, product_id: int) -> HttpResponse:
    """A new variant of one of the store's products (which becomes a group of variants)."""
    group = _own_product(store, product_id)
    if group.parent_id is not None:
        raise Http404(_("A variant cannot have variants."))
    initial = {
        "price": group.price.amount,
        "currency": str(group.price.currency),
        "stock_quantity": 0,
    }
    form = ProductForm(request.POST or None, initial=initial, variant=True)
    if request.method == "POST" and form.is_valid():
        try:
            variant = services.create_product(
                seller=request.user,  # type: ignore[arg-type]
                parent=group,
                **form.values(),
            )
        except EcommerceKitError as exc:
            show_on_form(form, exc)
        else:
            messages.success(
                request,
                _("The variant “%(name)s” was added to “%(group)s”.")
                % {"name": variant.name, "group": group.name},
            )
            return redirect("desk:product", group.pk)
    return render(
        request,
        "desk/variant_form.html",
        {"store": store, "section": "products", "group": group, "form": form},
    )


@store_required
def product_deactivate(request: HttpRequest, store: Store, product_id: int) -> HttpResponse:
    """Stop selling a product (the kit's soft delete; a group's variants go with it), once the
    seller confirmed it: only staff can put it back on sale."""
    product = _own_product(store, product_id)
    if request.method != "POST" or not product.is_active:
        variants = product.variants.filter(is_active=True).count() if not product.parent_id else 0
        return render(
            request,
            "desk/product_deactivate.html",
            {"store": store, "section": "products", "product": product, "variants": variants},
        )
    try:
        services.soft_delete_product(product=product, actor=request.user)  # type: ignore[arg-type]
    except EcommerceKitError as exc:
        report(request, exc)
    else:
        messages.success(request, _("“%(name)s” is no longer sold.") % {"name": product.name})
    return redirect("desk:product", product.pk)


@store_required
def stock(request: HttpRequest, store: Store) -> HttpResponse:
    """Every active product that is bought (standalone products and variants) with its stock,
    lowest first."""
    queryset = (
        store.products.filter(is_active=True)
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .exclude(Q(parent__isnull=True) & Q(variants__isnull=False))
        .select_related("parent")
        .order_by("stock_quantity", "name", "id")
    )
    words = request.GET.get("q", "").strip()
    if words:
        queryset = queryset.filter(Q(name__icontains=words) | Q(parent__name__icontains=words))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "desk/stock.html", {"store": store, "section": "stock", "page": page, "q": words}
    )


@require_POST
@store_required
def stock_set(request: HttpRequest, store: Store, product_id: int) -> HttpResponse:
    """Set one product's stock, unless it changed since the seller saw it (a sale meanwhile).

    Then back to the stock page, where a message says what happened; a refusal changes nothing.
    """
    product = _own_product(store, product_id)
    back = local_target(request, "back", "desk:stock")
    form = StockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the new stock as a whole number."), extra_tags="invalid")
        return redirect(back)
    if form.cleaned_data["was"] != product.stock_quantity:
        messages.warning(
            request,
            _(
                "The stock of “%(name)s” changed to %(now)d since you looked (orders take "
                "stock): check it and save again."
            )
            % {"name": product.name, "now": product.stock_quantity},
            extra_tags="stale",
        )
        return redirect(back)
    try:
        services.update_product(
            product=product,
            actor=request.user,  # type: ignore[arg-type]
            stock_quantity=form.cleaned_data["stock_quantity"],
        )
    except EcommerceKitError as exc:
        report(request, exc)
        return redirect(back)
    messages.success(
        request,
        _("Stock of “%(name)s”: %(count)d.")
        % {"name": product.name, "count": form.cleaned_data["stock_quantity"]},
    )
    return redirect(back)
