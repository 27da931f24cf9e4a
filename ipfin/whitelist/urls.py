from django.urls import path

from ipfin.whitelist import views

app_name = "whitelist"

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:import_id>/", views.import_detail, name="import_detail"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:rule_id>/", views.rule_detail, name="rule_detail"),
    path("rules/<int:rule_id>/batch/", views.batch_create, name="batch_create"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:batch_id>/publish/", views.batch_publish, name="batch_publish"),
    path("batches/<int:batch_id>/push/", views.batch_push, name="batch_push"),
    path("batches/<int:batch_id>/export.xlsx", views.batch_export, name="batch_export"),
    path("entries/<int:entry_id>/follow-up/", views.follow_up, name="follow_up"),
    path("recommendations/", views.recommendation_list, name="recommendation_list"),
    path(
        "recommendations/<int:rec_id>/decision/",
        views.recommendation_decide,
        name="recommendation_decide",
    ),
    path("figures/", views.figures, name="figures"),
    path("figures.xlsx", views.figures_export, name="figures_export"),
]
