"""Allure labels and attachments for conformance tests (filled in by the reporting work)."""

from __future__ import annotations


def on_setup(item) -> None:
    """Dynamic labels (epic/feature/story, parameters, provenance) for `item`."""


def on_report(item, call, report) -> None:
    """Attachments for a finished phase (case, outbound, reference, diff, Hypothesis blob)."""
