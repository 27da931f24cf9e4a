from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "ipfin.risk"
    label = "risk"
    verbose_name = "风险管理"
