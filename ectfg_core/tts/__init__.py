"""Emotional text-to-speech backends."""
