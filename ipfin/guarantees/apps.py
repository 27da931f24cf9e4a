from django.apps import AppConfig


class GuaranteesConfig(AppConfig):
    name = "ipfin.guarantees"
    label = "guarantees"
    verbose_name = "融资担保"

    def ready(self) -> None:
        from ipfin.guarantees import receivers  # noqa: F401 - connects the loan signals
