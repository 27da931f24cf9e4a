from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "ipfin.trading"
    label = "trading"
    verbose_name = "知识产权运营"

    def ready(self) -> None:
        from ipfin.trading import receivers  # noqa: F401 - connects the register's signals
