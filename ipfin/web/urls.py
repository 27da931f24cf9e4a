from django.urls import path

from ipfin.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("public/", views.public_query, name="public_query"),
    path("rights/", views.right_search, name="right_search"),
    path("rights/<path:number>/", views.right_detail, name="right_detail"),
    path("pledges/", views.pledge_list, name="pledge_list"),
    path("pledges/new/", views.pledge_new, name="pledge_new"),
    path("pledges/<int:pledge_id>/", views.pledge_detail, name="pledge_detail"),
    path(
        "pledges/<int:pledge_id>/documents/",
        views.pledge_document_upload,
        name="pledge_document_upload",
    ),
    path(
        "pledges/<int:pledge_id>/documents/<int:document_id>/",
        views.pledge_document_download,
        name="pledge_document_download",
    ),
    path("pledges/<int:pledge_id>/decision/", views.pledge_decide, name="pledge_decide"),
    path("pledges/<int:pledge_id>/release/", views.pledge_release, name="pledge_release"),
    path("pledges/<int:pledge_id>/change/", views.pledge_change, name="pledge_change"),
    path("pledges/<int:pledge_id>/resubmit/", views.pledge_resubmit, name="pledge_resubmit"),
    path("pledges/<int:pledge_id>/withdraw/", views.pledge_withdraw, name="pledge_withdraw"),
    path("examiner/queue/", views.examiner_queue, name="examiner_queue"),
]
