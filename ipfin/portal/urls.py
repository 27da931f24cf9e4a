from django.urls import path

from ipfin.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("guide/", views.guide, name="guide"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_second_factor, name="login_second_factor"),
    path("logout/", views.logout_view, name="logout"),
    path("public/", views.public_query, name="public_query"),
    path("audit/", views.audit_trail, name="audit_trail"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:run_id>/", views.job_run, name="job_run"),
    path("jobs/<int:run_id>/file", views.job_run_file, name="job_run_file"),
    path("exchange/", views.exchange, name="exchange"),
    path("account/tokens/", views.api_tokens, name="api_tokens"),
    path("supervision/", views.supervision_cases_view, name="supervision_cases"),
    path(
        "supervision/<int:case_id>/close/",
        views.supervision_case_close_view,
        name="supervision_case_close",
    ),
    path("account/security/", views.account_security, name="account_security"),
    path(
        "account/security/members/<int:user_id>/reset/",
        views.second_factor_reset_view,
        name="second_factor_reset",
    ),
    path(
        "account/tokens/<int:token_id>/revoke/",
        views.api_token_revoke_view,
        name="api_token_revoke",
    ),
]
