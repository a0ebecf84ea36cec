# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.
"""Models and Arrow schemas generated from schemas/v1."""
