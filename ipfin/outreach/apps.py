from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "ipfin.outreach"
    label = "outreach"
    verbose_name = "宣传与服务资源库"
