from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "ipfin.common"
    label = "common"
