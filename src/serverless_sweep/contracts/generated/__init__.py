# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.
"""Code generated from schemas/ by `make codegen`; never edit by hand."""
