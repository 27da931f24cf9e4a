from django.urls import path

from ipfin.holidays import views

app_name = "holidays"

urlpatterns = [
    path("", views.calendar_list, name="calendar_list"),
    path("<int:year>/", views.calendar_year, name="calendar_year"),
    path("<int:year>/edit/", views.calendar_edit, name="calendar_edit"),
]
