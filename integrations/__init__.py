"""Exports (CSV, XLSX, FHIR NDJSON), FHIR R4 resources and the read-only JSON API.

This app reads from `clinicians` and `assessments`; neither of them imports it.
"""
