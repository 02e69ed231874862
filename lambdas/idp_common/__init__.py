"""Shared library of the IDP Lambda functions: models, status machine, config cache, AWS adapters."""
