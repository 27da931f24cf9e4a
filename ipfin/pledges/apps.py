from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "ipfin.pledges"
    label = "pledges"
    verbose_name = "质押登记"
