from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ipfin.portal"
    label = "portal"
    verbose_name = "门户"
