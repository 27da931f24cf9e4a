from django.urls import path

from ipfin.pledges import views

app_name = "pledges"

urlpatterns = [
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
    path(
        "pledges/<int:pledge_id>/documents/<int:document_id>/inline/",
        views.pledge_document_inline,
        name="pledge_document_inline",
    ),
    path("pledges/<int:pledge_id>/claim/", views.pledge_claim, name="pledge_claim"),
    path(
        "pledges/<int:pledge_id>/claim/release/",
        views.pledge_claim_release,
        name="pledge_claim_release",
    ),
    path("pledges/<int:pledge_id>/assign/", views.pledge_assign, name="pledge_assign"),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/claim/",
        views.pledge_change_claim,
        name="pledge_change_claim",
    ),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/claim/release/",
        views.pledge_change_claim_release,
        name="pledge_change_claim_release",
    ),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/assign/",
        views.pledge_change_assign,
        name="pledge_change_assign",
    ),
    path("pledges/<int:pledge_id>/decision/", views.pledge_decide, name="pledge_decide"),
    path("pledges/<int:pledge_id>/release/", views.pledge_release, name="pledge_release"),
    path("pledges/<int:pledge_id>/change/", views.pledge_change, name="pledge_change"),
    path("pledges/<int:pledge_id>/resubmit/", views.pledge_resubmit, name="pledge_resubmit"),
    path("pledges/<int:pledge_id>/withdraw/", views.pledge_withdraw, name="pledge_withdraw"),
    path("pledges/<int:pledge_id>/confirm/", views.pledge_confirm, name="pledge_confirm"),
    path(
        "pledges/<int:pledge_id>/release-request/",
        views.pledge_release_request,
        name="pledge_release_request",
    ),
    path("pledges/<int:pledge_id>/decline/", views.pledge_decline, name="pledge_decline"),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/confirm/",
        views.pledge_change_confirm,
        name="pledge_change_confirm",
    ),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/decline/",
        views.pledge_change_decline,
        name="pledge_change_decline",
    ),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/withdraw/",
        views.pledge_change_withdraw,
        name="pledge_change_withdraw",
    ),
    path(
        "pledges/<int:pledge_id>/changes/<int:change_id>/decision/",
        views.pledge_change_decide,
        name="pledge_change_decide",
    ),
    path("examiner/queue/", views.examiner_queue, name="examiner_queue"),
]
