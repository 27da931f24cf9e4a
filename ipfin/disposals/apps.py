from django.apps import AppConfig


class DisposalsConfig(AppConfig):
    name = "ipfin.disposals"
    label = "disposals"
    verbose_name = "质物处置"
