"""The API and page addresses of live objects, and a signed-in page client,
for the devcluster tests of the kinds' pages and actions."""

from django.test import Client


def api_url(namespace, plural, tail=""):
    return f"/api/v1/namespaces/{namespace.pk}/kinds/{plural}/{tail}"


def page_url(namespace, plural, tail=""):
    return f"/workloads/namespaces/{namespace.pk}/{plural}/{tail}"


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
