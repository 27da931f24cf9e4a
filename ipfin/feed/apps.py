from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "ipfin.feed"
    label = "feed"
    verbose_name = "变更推送"

    def ready(self) -> None:
        from ipfin.feed.background import start_if_serving

        start_if_serving()
