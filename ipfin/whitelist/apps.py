from django.apps import AppConfig


class WhitelistConfig(AppConfig):
    name = "ipfin.whitelist"
    label = "whitelist"
    verbose_name = "白名单"

    def ready(self) -> None:
        # A bank's customers, for the permission layer (accounts/customers.py).
        from ipfin.accounts import customers
        from ipfin.whitelist.selectors import bank_customers

        customers.provide("whitelist", bank_customers)
