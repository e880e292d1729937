from django.urls import path

from jobs import views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "jobs"

urlpatterns = [
    path("", views.JobListView.as_view(), name="job-list"),
    path("<int:pk>/", views.job_detail, name="job-detail"),
    path("<int:pk>/events/", views.job_events, name="job-events"),
    path("<int:pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("<int:pk>/resume/", views.job_resume, name="job-resume"),
]
