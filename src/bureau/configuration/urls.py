from django.urls import path

from bureau.configuration import views

app_name = "configuration"
urlpatterns = [
    path("", views.settings_view, name="settings"),
]
