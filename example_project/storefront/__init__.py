"""The example site's storefront: a shopper's pages over the kit's services, under ``/shop/``."""
