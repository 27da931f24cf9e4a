from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ipfin.web"
    label = "web"
