from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    name = "ipfin.insurance"
    label = "insurance"
    verbose_name = "知识产权保险"
