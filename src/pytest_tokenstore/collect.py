"""The collector for the kit's own test modules."""

from __future__ import annotations

import pytest


class SuiteModule(pytest.Module):
    """A kit module, collected by the default name patterns whatever the ini says.

    A user's ``python_functions`` or ``python_classes`` setting is about their own
    tests; it must not hide the kit's.
    """

    def funcnamefilter(self, name: str) -> bool:
        """Kit tests are the functions named ``test_*``."""
        return name.startswith("test_")

    def classnamefilter(self, name: str) -> bool:
        """Kit test classes are named ``Test*``."""
        return name.startswith("Test")
