"""Loket's shared domain: stdlib only, imported by hub and node, importing neither."""
