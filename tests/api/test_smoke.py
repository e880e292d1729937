import pytest


@pytest.mark.django_db
def test_it_lists_clusters_for_admin(world, api):
    response = api.as_(world.admin).get("/api/v1/clusters/")
    assert response.status_code == 200, response.content
    assert [c["slug"] for c in response.json()["results"]] == ["prod"]
