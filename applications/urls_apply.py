from django.urls import path

from . import views_apply as views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
