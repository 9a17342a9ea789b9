"""The one tree of domain errors.

Every error carries a stable machine ``code`` (part of the HTTP contract) and the HTTP
``status_code`` the API answers with. Services raise these; :mod:`ecommerce_kit.api.exceptions`
turns them into ``{"error", "code", "status_code", ...extra}`` responses. Extra keyword arguments
given to an error become extra fields of the response body (``available``, ``lines``, ...).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class EcommerceKitError(Exception):
    """Base class of every error the kit raises on purpose."""

    code: str = "error"
    status_code: int = 400
    default_message: Any = _("The request could not be completed.")

    def __init__(self, message: Any = None, **extra: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.extra: dict[str, Any] = extra
        super().__init__(str(self.message))


# --- Generic ---------------------------------------------------------------------------------


class NotFoundError(EcommerceKitError):
    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class PermissionDeniedError(EcommerceKitError):
    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission to perform this action.")


class InvalidInputError(EcommerceKitError):
    """A domain-level validation failure that is not tied to one serializer field."""

    code = "invalid"
    status_code = 400
    default_message = _("Invalid input.")


# --- Catalog ---------------------------------------------------------------------------------


class CatalogError(EcommerceKitError):
    code = "catalog_error"


class NoStoreError(CatalogError):
    code = "no_store"
    status_code = 403
    default_message = _("You need a store to sell products.")


class StoreNotApprovedError(CatalogError):
    code = "store_not_approved"
    status_code = 403
    default_message = _("Your store has not been approved yet.")


class StoreInactiveError(CatalogError):
    code = "store_inactive"
    status_code = 403
    default_message = _("Your store has been deactivated.")


class StoreExistsError(CatalogError):
    code = "store_exists"
    status_code = 409
    default_message = _("You already have a store.")


# --- Cart ------------------------------------------------------------------------------------


class CartError(EcommerceKitError):
    code = "cart_error"


class CartNotFoundError(CartError):
    code = "cart_not_found"
    status_code = 404
    default_message = _("Cart not found.")


class CartItemNotFoundError(CartError):
    code = "not_found"
    status_code = 404
    default_message = _("Cart item not found.")


class ProductUnavailableError(CartError):
    code = "product_unavailable"
    status_code = 400
    default_message = _("This product is not available.")


class ProductNotPurchasableError(CartError):
    code = "product_not_purchasable"
    status_code = 400
    default_message = _("This product groups variants; choose one of its variants.")


class InsufficientStockError(CartError):
    code = "insufficient_stock"
    status_code = 409
    default_message = _("Not enough stock.")


class CurrencyMismatchError(CartError):
    code = "currency_mismatch"
    status_code = 409
    default_message = _("This product is priced in another currency than the cart.")


class CartLimitError(CartError):
    code = "cart_full"
    status_code = 409
    default_message = _("The cart has reached its maximum number of lines.")


class CartMergeError(CartError):
    code = "invalid_merge"
    status_code = 400
    default_message = _("This cart cannot be merged.")


class CartEmptyError(CartError):
    code = "cart_empty"
    status_code = 400
    default_message = _("The cart is empty.")


# --- Checkout and orders ---------------------------------------------------------------------


class OrderError(EcommerceKitError):
    code = "order_error"


class PriceChangedError(OrderError):
    code = "price_changed"
    status_code = 409
    default_message = _("Prices changed since you last looked; review the new total.")


class AmountTooLargeError(OrderError):
    code = "amount_too_large"
    status_code = 400
    default_message = _(
        "The amounts of this order are too large to be recorded; order fewer items at a time."
    )


class InvalidTransitionError(OrderError):
    code = "transition_not_allowed"
    status_code = 409
    default_message = _("This transition is not allowed now.")


class IdempotencyKeyReusedError(OrderError):
    code = "idempotency_key_reused"
    status_code = 422
    default_message = _("This Idempotency-Key was already used with a different request.")


class IdempotencyKeyInvalidError(OrderError):
    code = "invalid_idempotency_key"
    status_code = 400
    default_message = _("The Idempotency-Key header must be 1 to 255 printable characters.")


class IdempotencyKeyInProgressError(OrderError):
    code = "idempotency_key_in_progress"
    status_code = 409
    default_message = _(
        "A request with this Idempotency-Key is still being processed; retry later."
    )


# --- Payments --------------------------------------------------------------------------------


class PaymentError(EcommerceKitError):
    code = "payment_error"


class PaymentDeclinedError(PaymentError):
    code = "payment_declined"
    status_code = 402
    default_message = _("The payment was declined.")


class GatewayError(PaymentError):
    code = "gateway_error"
    status_code = 502
    default_message = _("The payment provider could not be reached; please try again.")


class GatewayUnavailableError(GatewayError):
    """The circuit breaker of a gateway is open: calls are refused without reaching the provider."""

    default_message = _("The payment provider is temporarily unavailable; please try again later.")


class PaymentInProgressError(PaymentError):
    """The order already has a payment that is under way or holds money (``payment`` is its id)."""

    code = "payment_in_progress"
    status_code = 409
    default_message = _(
        "A payment of this order is already under way; wait for it to complete or fail."
    )


class PaymentMissingError(PaymentError):
    """A fulfilment cannot move because the money held no longer covers the order."""

    code = "payment_missing"
    status_code = 409
    default_message = _(
        "The money held for this order no longer covers it; it cannot be processed or shipped."
    )


class UnknownPaymentMethodError(PaymentError):
    code = "unknown_payment_method"
    status_code = 400
    default_message = _("Unknown payment method.")


class GatewayNotFoundError(PaymentError):
    code = "not_found"
    status_code = 404
    default_message = _("Unknown payment gateway.")


class InvalidSignatureError(PaymentError):
    code = "invalid_signature"
    status_code = 400
    default_message = _("The webhook signature is missing or invalid.")


class RefundExceedsCapturedError(PaymentError):
    code = "refund_exceeds_captured"
    status_code = 409
    default_message = _("The refund exceeds what was captured and not yet refunded.")


# --- Reviews ---------------------------------------------------------------------------------


class ReviewError(EcommerceKitError):
    code = "review_error"


class PurchaseRequiredError(ReviewError):
    code = "purchase_required"
    status_code = 403
    default_message = _("Only buyers with a delivered order of this product may review it.")


class OwnProductError(ReviewError):
    code = "own_product"
    status_code = 403
    default_message = _("You cannot review a product of your own store.")


class AlreadyReviewedError(ReviewError):
    code = "already_reviewed"
    status_code = 409
    default_message = _("You have already reviewed this product.")
