from django.urls import path

from ipfin.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.stats_dashboard, name="dashboard"),
]
