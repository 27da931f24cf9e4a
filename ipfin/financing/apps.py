from django.apps import AppConfig


class FinancingConfig(AppConfig):
    name = "ipfin.financing"
    label = "financing"
    verbose_name = "融资对接"

    def ready(self) -> None:
        # A bank's customers, for the permission layer (accounts/customers.py).
        from ipfin.accounts import customers
        from ipfin.financing.selectors import bank_customers

        customers.provide("financing", bank_customers)
