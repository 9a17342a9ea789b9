"""The stored listing price the product list filters and sorts by.

- ``listing_price`` / ``listing_price_max``: the lowest / highest price amount of a product's
  active variants, or its own price amount when it has none. Added with a placeholder 0, then
  filled for the existing rows by one ``UPDATE`` (a correlated subquery per row: seconds for
  100,000 products, with the rows locked meanwhile). From then on ``Product.save()``, the
  catalog's services and ``refresh_listing_prices`` keep them.
- ``ek_product_listed_price`` and ``ek_product_listed_by_price``: the listed products (active,
  no parent) by listing price and highest listing price, with and without the category first,
  covering (on PostgreSQL) what the price filters' capped count reads. The price-ordered,
  price-filtered list walks them in order (``bench/README.md``, "A stored listing price").

Reversing drops the index and the columns.
"""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

import ecommerce_kit.catalog.models


def fill_listing_prices(apps, schema_editor):
    Product = apps.get_model("ecommerce_kit_catalog", "Product")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    def bound(aggregate):
        variants = (
            Product.objects.filter(parent=OuterRef("pk"), is_active=True)
            .order_by()
            .values("parent")
            .annotate(bound=aggregate("price"))
            .values("bound")
        )
        return Coalesce(Subquery(variants, output_field=amount), F("price"), output_field=amount)

    Product.objects.using(schema_editor.connection.alias).update(
        listing_price=bound(Min), listing_price_max=bound(Max)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ecommerce_kit_catalog", "0005_variant_and_category_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="listing_price",
            field=ecommerce_kit.catalog.models.ListingPriceField(
                decimal_places=2,
                default=Decimal("0"),
                editable=False,
                max_digits=14,
                verbose_name="listing price",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="product",
            name="listing_price_max",
            field=ecommerce_kit.catalog.models.ListingPriceField(
                decimal_places=2,
                default=Decimal("0"),
                editable=False,
                max_digits=14,
                verbose_name="highest listing price",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_listing_prices, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True), ("parent__isnull", True)),
                fields=["category", "listing_price", "listing_price_max"],
                include=["id", "price", "store"],
                name="ek_product_listed_price",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True), ("parent__isnull", True)),
                fields=["listing_price", "listing_price_max"],
                include=["id", "price", "store"],
                name="ek_product_listed_by_price",
            ),
        ),
    ]
