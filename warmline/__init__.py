"""Warmline: a sales relationship platform where the Internet works through the rep."""

__version__ = "0.1.0"
