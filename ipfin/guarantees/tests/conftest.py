"""The loans app's builders (a registered pledge with its valuation, a loan on it), in scope for
the guarantees' tests."""

from ipfin.loans.tests.conftest import (  # noqa: F401 - fixtures, found by name
    lend,
    pledge_over,
    pledged,
    value_right,
)
