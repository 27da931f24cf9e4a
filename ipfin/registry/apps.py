from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "ipfin.registry"
    label = "registry"
    verbose_name = "知识产权登记簿"
