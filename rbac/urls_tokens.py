from django.urls import path

from rbac import views_tokens as views

urlpatterns = [
    path("", views.token_list, name="token-list"),
    path("<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
