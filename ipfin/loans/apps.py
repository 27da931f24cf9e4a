from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "ipfin.loans"
    label = "loans"
    verbose_name = "贷款与贴息"

    def ready(self) -> None:
        # A bank's customers, for the permission layer (accounts/customers.py).
        from ipfin.accounts import customers
        from ipfin.loans.selectors import bank_customers, secured_loans
        from ipfin.loans.services import loan_security_waive
        from ipfin.pledges import securing

        customers.provide("loans", bank_customers)
        # The pledge's release asks which loans it still secures, and records a waiver on them,
        # through ipfin.pledges.securing (pledges never imports this app, built on it).
        securing.provide(outstanding=secured_loans, waive=loan_security_waive)
