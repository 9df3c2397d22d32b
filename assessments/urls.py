from django.urls import path

from .views import chart, client, console, dashboards, forms, report, review, schedules, staff

app_name = "assessments"

urlpatterns = [
    # Clients (no sign-in)
    path("q/<str:token>", client.open_link, name="open_link"),
    path("q/", client.questionnaire, name="questionnaire"),
    path("q-done/", client.questionnaire_done, name="questionnaire_done"),
    path("kiosk", client.kiosk, name="kiosk"),
    path("kiosk/questionnaire/", client.kiosk_questionnaire, name="kiosk_questionnaire"),
    path("kiosk/thanks/", client.kiosk_done, name="kiosk_done"),
    path("kiosk/reset/", client.kiosk_reset, name="kiosk_reset"),
    # Dashboards
    path("caseload/", dashboards.caseload, name="caseload"),
    path("console/alliance/", dashboards.clinic_alliance, name="clinic_alliance"),
    # Staff
    path("clients/<str:pk>/", chart.client_detail, name="client"),
    path("clients/<str:pk>/report/", report.client_report_page, name="client_report"),
    path("clients/<str:pk>/report.pdf", report.client_report_pdf, name="client_report_pdf"),
    path("clients/<str:pk>/flags/discussed/", chart.flags_discussed, name="flags_discussed"),
    path("clients/<str:pk>/review/", review.review, name="review"),
    path("clients/<str:pk>/review/leave/", review.review_leave, name="review_leave"),
    path("clients/<str:pk>/questionnaires/new/", staff.request_new, name="request_new"),
    path("clients/<str:pk>/own-rating/", staff.self_rating, name="self_rating"),
    path("clients/<str:pk>/paper/", staff.paper_entry, name="paper_entry"),
    path("clients/<str:pk>/schedule/", schedules.schedule_edit, name="schedule"),
    path("clients/<str:pk>/schedule/stop/", schedules.schedule_stop_view, name="schedule_stop"),
    path("questionnaires/<str:pk>/", staff.administration_detail, name="administration"),
    path(
        "questionnaires/<str:pk>/withdraw/",
        staff.administration_revoke_view,
        name="administration_revoke",
    ),
    path(
        "questionnaires/<str:pk>/new-link/",
        staff.administration_new_link_view,
        name="administration_new_link",
    ),
    path(
        "questionnaires/<str:pk>/email/",
        staff.administration_email_view,
        name="administration_email",
    ),
    path("responses/<str:pk>/correct/", staff.response_correct_view, name="response_correct"),
    # The loaded forms (staff)
    path("forms/", forms.forms, name="forms"),
    path("forms/<str:code>/", forms.form_detail, name="form_detail"),
    # Clinic admin
    path("console/settings/", console.clinic_settings, name="clinic_settings"),
    path("console/schedule/", schedules.clinic_schedule, name="clinic_schedule"),
    path("console/kiosks/", console.kiosks, name="kiosks"),
    path("console/kiosks/enrol/", console.kiosk_enrol_view, name="kiosk_enrol"),
    path("console/kiosks/<str:pk>/revoke/", console.kiosk_revoke_view, name="kiosk_revoke"),
]
