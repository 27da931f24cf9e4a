from django.urls import path

from ipfin.registry import views

app_name = "registry"

urlpatterns = [
    path("rights/", views.right_search, name="right_search"),
    path("rights/<path:number>/", views.right_detail, name="right_detail"),
]
