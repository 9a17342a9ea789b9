"""The storefront's pages, one module per area."""
