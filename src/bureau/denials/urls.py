from django.urls import path

from bureau.denials import views

app_name = "denials"
urlpatterns = [
    path("", views.denial_list_view, name="list"),
    path("categories/", views.categories_view, name="categories"),
    path("<uuid:public_id>/", views.denial_detail_view, name="detail"),
    path("<uuid:public_id>/update/", views.denial_update_view, name="update"),
]
