from django.apps import AppConfig


class SecuritisationConfig(AppConfig):
    name = "ipfin.securitisation"
    label = "securitisation"
    verbose_name = "知识产权证券化"
