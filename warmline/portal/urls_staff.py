"""Staff side of portal questions, mounted at /questions/ (login required)."""

from django.urls import path

from warmline.portal import views_staff

urlpatterns = [
    path("", views_staff.question_list, name="question-list"),
    path("panel/", views_staff.question_panel, name="question-panel"),
    path("contact/<int:contact_id>/", views_staff.contact_questions, name="contact-questions"),
    path("<int:pk>/", views_staff.question_detail, name="question-detail"),
    path("<int:pk>/acknowledge/", views_staff.question_acknowledge, name="question-acknowledge"),
    path("<int:pk>/answer/", views_staff.question_answer, name="question-answer"),
]
