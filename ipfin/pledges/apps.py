from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "ipfin.pledges"
    label = "pledges"
    verbose_name = "质押登记"

    def ready(self) -> None:
        # The register reads the pledges over a right through its encumbrances module, so that
        # it never imports this app (which is built on it).
        from ipfin.accounts import customers
        from ipfin.pledges.selectors import (
            bank_customers,
            pledgees_holding,
            pledges_holding,
            pledges_public_for_right,
        )
        from ipfin.registry import encumbrances

        encumbrances.provide(
            registered=pledges_holding, public=pledges_public_for_right, pledgees=pledgees_holding
        )
        # A bank's customers, for the permission layer (accounts/customers.py).
        customers.provide("pledges", bank_customers)
