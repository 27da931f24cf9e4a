from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ipfin.accounts"
    label = "accounts"
    verbose_name = "账户与机构"
