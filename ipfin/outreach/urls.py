"""URLs of the outreach library's pages, mounted at /library/ (config/urls.py)."""

from django.urls import path

from ipfin.outreach import views

app_name = "outreach"

urlpatterns = [
    path("", views.library_index, name="index"),
    path("articles/", views.article_list, name="article_list"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:article_id>/", views.article_detail, name="article_detail"),
    path("articles/<int:article_id>/publish/", views.article_publish, name="article_publish"),
    path("articles/<int:article_id>/withdraw/", views.article_withdraw, name="article_withdraw"),
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("events/<int:event_id>/register/", views.event_register, name="event_register"),
    path("events/<int:event_id>/publish/", views.event_publish, name="event_publish"),
    path("events/<int:event_id>/cancel/", views.event_cancel, name="event_cancel"),
    path(
        "registrations/<int:registration_id>/check-in/",
        views.registration_check_in,
        name="registration_check_in",
    ),
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/new/", views.expert_new, name="expert_new"),
    path("experts/pick/", views.expert_pick, name="expert_pick"),
    path("experts/<int:expert_id>/", views.expert_detail, name="expert_detail"),
    path("experts/<int:expert_id>/edit/", views.expert_edit, name="expert_edit"),
    path("experts/<int:expert_id>/deactivate/", views.expert_deactivate, name="expert_deactivate"),
]
