"""Synthetic elections, seeded and reproducible: `small`, `kg-2025`, `kz-2023`."""
