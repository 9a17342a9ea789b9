"""The catalog endpoints: categories, products (with variants) and stores.

Views authorize and parse; every write is one call to :mod:`ecommerce_kit.catalog.services`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import (
    SAFE_METHODS,
    AllowAny,
    BasePermission,
    IsAdminUser,
    IsAuthenticated,
)
from rest_framework.request import Request
from rest_framework.response import Response

from ecommerce_kit.api.pagination import ProductPagination
from ecommerce_kit.api.schema import error_responses, extend_schema
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.catalog import selectors, services
from ecommerce_kit.catalog.filters import (
    DEFAULT_ORDERING,
    ORDERINGS,
    ProductFilterSet,
    order_products,
)
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.catalog.serializers import (
    CategorySerializer,
    ProductCreateSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    StoreCreateSerializer,
    StoreSerializer,
)
from ecommerce_kit.exceptions import PermissionDeniedError

_NOT_FOUND = {404: "not_found"}
_PAGE_ERRORS = {400: "invalid (bad page_size)", 404: "not_found (page beyond the last)"}
_LIST_PARAMETERS = [
    OpenApiParameter(
        "search",
        str,
        description="Words searched for in product names and descriptions. On PostgreSQL: "
        "full-text search in English and Portuguese (stems, quoted phrases, 'or', '-word'), "
        "close spellings of names when pg_trgm is installed, most relevant first unless "
        "'ordering' is given; elsewhere a case-insensitive substring match. A search plugin "
        "may take over.",
    ),
    OpenApiParameter(
        "category",
        str,
        description="Category slug; products of all its "
        "sub-categories are included. An unknown slug is a 400.",
    ),
    OpenApiParameter("store", str, description="Store slug. An unknown slug is a 400."),
    OpenApiParameter(
        "min_price",
        OpenApiTypes.DECIMAL,
        description="Lowest price amount "
        "(>= 0). A group matches when any of its active variants does.",
    ),
    OpenApiParameter(
        "max_price",
        OpenApiTypes.DECIMAL,
        description="Highest price amount "
        "(>= 0). A group matches when any of its active variants does.",
    ),
    OpenApiParameter(
        "in_stock",
        bool,
        description="true: in stock (a group: any active variant in stock); false: out of stock.",
    ),
    OpenApiParameter("currency", str, description="ISO 4217 code, one of the CURRENCIES setting."),
    OpenApiParameter(
        "ordering",
        str,
        enum=list(ORDERINGS),
        default=DEFAULT_ORDERING,
        description="Sort key; ties are broken by newest first. Products without "
        "ratings sort last. With 'search' and no 'ordering', results come most relevant first.",
    ),
]
_ANONYMOUS = {401: "not_authenticated"}
#: The query parameters the product list's filter set reads.
_FILTER_NAMES = tuple(ProductFilterSet.base_filters)


class ReadOnlyOrAuthenticated(BasePermission):
    """Anyone may read; writing needs an authenticated user."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )


@extend_schema_view(
    list=extend_schema(
        summary="List active categories",
        responses={200: CategorySerializer(many=True), **error_responses(_PAGE_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Show an active category",
        responses={200: CategorySerializer, **error_responses(_NOT_FOUND)},
    ),
)
class CategoryViewSet(
    KitViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Category],
):
    """Active categories; ``parent`` is the id of the parent category (``null`` for a root)."""

    serializer_class = CategorySerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.list_active_categories()


class ProductViewSet(KitViewMixin, viewsets.GenericViewSet[Product]):
    """Products and their variants.

    Anyone reads; the owner of an approved store creates; the owner or staff change and delete.
    """

    serializer_class = ProductSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilterSet
    pagination_class = ProductPagination
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Product]:
        if self.action == "list":
            return selectors.list_catalog_products()
        return selectors.list_visible_products(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Product, Any]) -> QuerySet[Product, Any]:
        if self.action != "list":
            return queryset
        if self.filterset_class is ProductFilterSet and not any(
            name in self.request.query_params for name in _FILTER_NAMES
        ):
            # No filter given: the default order, without building and validating the filter
            # form (the same answer, for a fraction of the CPU; see bench/README.md).
            return order_products(queryset, DEFAULT_ORDERING)
        return super().filter_queryset(queryset)

    def _answer(self, product: Product, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.with_api_relations(Product.objects.filter(pk=product.pk)).get()
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _managed_object(self) -> Product:
        product = self.get_object()
        if not selectors.can_manage_product(product, self.request.user):
            raise PermissionDeniedError()
        return product

    @extend_schema(
        summary="List products",
        description="Groups and standalone products of active, approved stores, with their "
        "active variants nested. Bad filter values are a 400.",
        parameters=_LIST_PARAMETERS,
        responses={
            200: ProductSerializer(many=True),
            **error_responses(
                {
                    400: "invalid (bad filter, ordering or page_size)",
                    404: "not_found (page beyond the last)",
                }
            ),
        },
    )
    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        assert page is not None  # the kit's views always paginate
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Show a product", responses={200: ProductSerializer, **error_responses(_NOT_FOUND)}
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Create a product or a variant",
        request=ProductCreateSerializer,
        responses={
            201: ProductSerializer,
            **error_responses(
                {
                    400: "invalid",
                    **_ANONYMOUS,
                    403: "no_store, store_not_approved, store_inactive",
                }
            ),
        },
    )
    def create(self, request: Request) -> Response:
        services.get_selling_store(request.user)  # type: ignore[arg-type]
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.create_product(
            seller=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return self._answer(product, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a product",
        request=ProductUpdateSerializer,
        responses={
            200: ProductSerializer,
            **error_responses(
                {
                    400: "invalid",
                    **_ANONYMOUS,
                    403: "permission_denied (not your store's product)",
                    **_NOT_FOUND,
                }
            ),
        },
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        product = self._managed_object()
        serializer = ProductUpdateSerializer(
            data=request.data, partial=True, context={"product": product}
        )
        serializer.is_valid(raise_exception=True)
        product = services.update_product(
            product=product,
            actor=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return self._answer(product)

    @extend_schema(
        summary="Delete a product (soft delete; a group's variants go with it)",
        responses={
            204: OpenApiResponse(description="Deleted."),
            **error_responses(
                {
                    **_ANONYMOUS,
                    403: "permission_denied (not your store's product)",
                    **_NOT_FOUND,
                }
            ),
        },
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        product = self._managed_object()
        services.soft_delete_product(product=product, actor=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List approved stores",
        responses={200: StoreSerializer(many=True), **error_responses(_PAGE_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Show a store",
        description="Approved, active stores are public; a pending or deactivated store is "
        "visible to its owner and staff only.",
        responses={200: StoreSerializer, **error_responses(_NOT_FOUND)},
    ),
)
class StoreViewSet(
    KitViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Store]
):
    """Stores: one per user, selling once staff approve it."""

    serializer_class = StoreSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self) -> QuerySet[Store]:
        if self.action == "list":
            return selectors.list_selling_stores()
        return selectors.list_visible_stores(self.request.user)

    @extend_schema(
        summary="Open a store (it sells once staff approve it)",
        request=StoreCreateSerializer,
        responses={
            201: StoreSerializer,
            **error_responses(
                {
                    400: "invalid",
                    **_ANONYMOUS,
                    409: "store_exists (one store per user)",
                }
            ),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = StoreCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        store = services.create_store(
            owner=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(StoreSerializer(store).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve a store (staff); approving twice changes nothing",
        request=None,
        responses={
            200: StoreSerializer,
            **error_responses(
                {
                    **_ANONYMOUS,
                    403: "permission_denied (staff only)",
                    **_NOT_FOUND,
                }
            ),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsAdminUser])
    def approve(self, request: Request, slug: str | None = None) -> Response:
        store = self.get_object()
        store = services.approve_store(store=store, actor=request.user)  # type: ignore[arg-type]
        return Response(StoreSerializer(store).data)
