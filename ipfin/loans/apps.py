from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "ipfin.loans"
    label = "loans"
    verbose_name = "贷款与贴息"

    def ready(self) -> None:
        # A bank's customers, for the permission layer (accounts/customers.py).
        from ipfin.accounts import customers
        from ipfin.loans.selectors import bank_customers

        customers.provide("loans", bank_customers)
