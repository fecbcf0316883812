"""Printable documents: shipping labels (PDF), pick lists and packing slips (HTML)."""
