"""The seller's desk of the example site, under ``/desk/``."""
