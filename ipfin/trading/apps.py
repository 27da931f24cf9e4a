from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "ipfin.trading"
    label = "trading"
    verbose_name = "知识产权运营"
