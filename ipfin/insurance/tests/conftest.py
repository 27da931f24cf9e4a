"""The risk tests' fixtures (a fund, its schemes and budget, a non-performing loan of bank A), in
scope for the waterfall tests of the guarantee and the policy (test_waterfall.py)."""

from ipfin.risk.tests.conftest import (  # noqa: F401 - fixtures, found by name
    budget,
    checker,
    fund,
    lend,
    make_scheme,
    npl_loan,
    pledge_over,
    pledged,
    scheme,
    value_right,
)
