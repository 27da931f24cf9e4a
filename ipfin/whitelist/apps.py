from django.apps import AppConfig


class WhitelistConfig(AppConfig):
    name = "ipfin.whitelist"
    label = "whitelist"
    verbose_name = "白名单"
