from django.apps import AppConfig


class HolidaysConfig(AppConfig):
    name = "ipfin.holidays"
    label = "holidays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from ipfin.holidays import checks  # noqa: F401  (registers the system check)
