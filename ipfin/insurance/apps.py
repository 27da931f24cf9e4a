from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    name = "ipfin.insurance"
    label = "insurance"
    verbose_name = "知识产权保险"

    def ready(self) -> None:
        from ipfin.insurance import receivers  # noqa: F401 - connects the risk claims' signals
