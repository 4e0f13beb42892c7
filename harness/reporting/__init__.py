"""Reporting: per-test results (for the conformance matrix) and Allure labels/attachments.

Depends on everything below it and nothing depends on it; allure is imported only when an
Allure run is active.
"""
