from __future__ import annotations

from config.middleware import ContentSecurityPolicyMiddleware, build_policy
from django.http import HttpResponse
from django.test import RequestFactory

POLICY = {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}


def respond(response: HttpResponse) -> HttpResponse:
    return ContentSecurityPolicyMiddleware(lambda request: response)(RequestFactory().get("/"))


def test_build_policy_joins_directives_in_order():
    assert build_policy(POLICY) == "default-src 'self'; img-src 'self' data:"
    assert build_policy("default-src 'none'") == "default-src 'none'"


def test_csp_middleware_adds_the_policy(settings):
    settings.CONTENT_SECURITY_POLICY = POLICY

    response = respond(HttpResponse("ok"))

    assert response["Content-Security-Policy"] == "default-src 'self'; img-src 'self' data:"


def test_csp_middleware_keeps_a_policy_set_by_the_view(settings):
    settings.CONTENT_SECURITY_POLICY = POLICY
    own = HttpResponse("ok")
    own["Content-Security-Policy"] = "default-src 'none'"

    assert respond(own)["Content-Security-Policy"] == "default-src 'none'"


def test_csp_middleware_leaves_debug_error_pages_alone(settings):
    settings.CONTENT_SECURITY_POLICY = POLICY
    settings.DEBUG = True

    assert "Content-Security-Policy" not in respond(HttpResponse("boom", status=500))
    assert "Content-Security-Policy" in respond(HttpResponse("ok", status=200))
    settings.DEBUG = False
    assert "Content-Security-Policy" in respond(HttpResponse("boom", status=500))


def test_csp_middleware_does_nothing_without_a_policy(settings):
    settings.CONTENT_SECURITY_POLICY = None

    assert "Content-Security-Policy" not in respond(HttpResponse("ok"))
