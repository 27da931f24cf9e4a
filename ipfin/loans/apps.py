from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "ipfin.loans"
    label = "loans"
    verbose_name = "贷款与贴息"
