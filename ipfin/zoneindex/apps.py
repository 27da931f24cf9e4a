from django.apps import AppConfig


class ZoneIndexConfig(AppConfig):
    name = "ipfin.zoneindex"
    label = "zoneindex"
    verbose_name = "示范区指数"
