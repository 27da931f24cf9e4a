from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "ipfin.common"
    label = "common"

    def ready(self) -> None:
        from ipfin.common import lookups

        lookups.register()
