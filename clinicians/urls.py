from django.urls import path

from . import views

app_name = "clinicians"

urlpatterns = [
    path("console/", views.console, name="console"),
    path("caseload/", views.therapist_home, name="therapist_home"),
]
