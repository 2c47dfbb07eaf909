from django.urls import path

from bureau.web import views

app_name = "web"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("context/", views.switch_practice_view, name="switch_practice"),
    path("healthz", views.healthz_view, name="healthz"),
]
