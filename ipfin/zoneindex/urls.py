"""URLs of the demonstration-zone index's pages, mounted at /index/ (config/urls.py)."""

from django.urls import path

from ipfin.zoneindex import views

app_name = "zoneindex"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("zones/<int:zone_id>/", views.zone_history, name="zone_history"),
    path("systems/", views.system_list, name="system_list"),
    path("systems/new/", views.system_new, name="system_new"),
    path("systems/<int:system_id>/", views.system_detail, name="system_detail"),
    path("systems/<int:system_id>/settings/", views.system_settings, name="system_settings"),
    path("systems/<int:system_id>/activate/", views.system_activate, name="system_activate"),
    path("systems/<int:system_id>/versions/", views.system_new_version, name="system_new_version"),
    path("systems/<int:system_id>/values/", views.values_upload, name="values_upload"),
    path("systems/<int:system_id>/runs/", views.run_compute, name="run_compute"),
    path("systems/<int:system_id>/indicators/new/", views.indicator_new, name="indicator_new"),
    path("indicators/<int:indicator_id>/edit/", views.indicator_edit, name="indicator_edit"),
    path("indicators/<int:indicator_id>/remove/", views.indicator_remove, name="indicator_remove"),
    path("runs/<int:index_run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:index_run_id>/publish/", views.run_publish, name="run_publish"),
]
