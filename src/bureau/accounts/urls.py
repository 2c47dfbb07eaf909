from django.urls import path

from bureau.accounts import admin_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/verify/", views.mfa_verify_view, name="mfa_verify"),
    path("mfa/enroll/", views.mfa_enroll_view, name="mfa_enroll"),
    path("users/", admin_views.user_list_view, name="user_list"),
    path("users/new/", admin_views.user_create_view, name="user_create"),
    path("users/<uuid:public_id>/", admin_views.user_detail_view, name="user_detail"),
    path("users/<uuid:public_id>/status/", admin_views.user_status_view, name="user_status"),
    path("grants/<uuid:public_id>/revoke/", admin_views.grant_revoke_view, name="grant_revoke"),
    path("grants/<uuid:public_id>/role/", admin_views.grant_role_view, name="grant_role"),
]
