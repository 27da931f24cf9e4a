from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "ipfin.stats"
    label = "stats"
    verbose_name = "统计监测"
