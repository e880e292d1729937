from django.urls import path

from rbac import views_tokens as views

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "tokens"

urlpatterns = [
    path("", views.token_list, name="token-list"),
    path("<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
