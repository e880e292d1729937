"""Assets the portal serves from its own origin, where third-party code would
fetch them from elsewhere: the portal works in an air-gapped network, and no
page makes a request to another origin."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from drf_spectacular.views import SpectacularRedocView

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# ReDoc's sidebar credits Redocly with a logo it loads from Redocly's CDN, whatever
# the options (hideLogo is the API's own logo). An image that cannot be decoded
# makes it render nothing (its onError), without a request.
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
NO_IMAGE = "data:,"


@cache
def _redoc_bundle() -> bytes:
    with open(finders.find(REDOC_BUNDLE), encoding="utf-8") as bundle:
        text = bundle.read()
    # The source map sits beside the package's file, not beside this URL. (Split
    # on newlines only: the code holds other line separators inside strings.)
    text = "\n".join(line for line in text.split("\n") if not line.startswith("//# sourceMappingURL="))
    return text.replace(REDOC_CDN_LOGO, NO_IMAGE).encode()


@cache_control(public=True, max_age=86400)
def redoc_bundle(request):
    """The sidecar's ReDoc bundle without its one request to another origin."""
    return HttpResponse(_redoc_bundle(), content_type="text/javascript; charset=utf-8")


class RedocView(SpectacularRedocView):
    @staticmethod
    def _redoc_standalone():
        return reverse("api-redoc-bundle")


@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the API
    docs, JSON answers): the portal's icon, not a 404."""
    return FileResponse(open(finders.find("portal/favicon.ico"), "rb"), content_type="image/x-icon")
