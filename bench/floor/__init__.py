"""The *floor*: bare Django + DRF views over the kit's own tables, for ``bench/floor_compare.py``.

Minimal but correct versions of five shop requests (product list, product detail, cart add, cart
view, checkout), written the way a team would write them by hand, to measure what the kit's own
endpoints cost above that. Served under ``/floor/`` by :mod:`bench.floor.settings`; never part of
the example site.
"""
