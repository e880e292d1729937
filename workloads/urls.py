from django.urls import path, register_converter

from workloads import views, views_actions, views_create, views_edit, views_kinds
from workloads.places import PlaceConverter

register_converter(PlaceConverter, "place")

# A namespace of its own: the API router uses the same names ("cluster-list", ...).
app_name = "workloads"

# <place>: a team namespace's id, or "<cluster>:<namespace>" / "<cluster>:*" for admins (workloads/places.py).
KIND = "namespaces/<place:pk>/<slug:plural>/"

urlpatterns = [
    path("", views.workload_index, name="workload-index"),
    path(KIND + "new/", views_kinds.kind_apply, name="kind-apply"),
    path(KIND + "new/form/", views_create.kind_create, name="kind-create"),
    path(KIND, views_kinds.kind_list, name="kind-list"),
    path(KIND + "<str:name>/", views_kinds.kind_detail, name="kind-detail"),
    path(KIND + "<str:name>/delete/", views_kinds.kind_delete, name="kind-delete"),
    # The edit action's page (workloads/actions/edit.py) posts the edited YAML here.
    path(KIND + "<str:name>/edit/apply/", views_edit.kind_edit, name="kind-edit"),
    path(KIND + "<str:name>/<slug:action_name>/", views_actions.kind_action, name="kind-action"),
]
