"""An address nothing serves: a browser gets the admin's "Not found" page, an API client JSON."""

from __future__ import annotations

from web.web_support import WebClient

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_a_browser_asking_for_a_missing_address_gets_the_not_found_page(web: WebClient) -> None:
    for path in ("/no-such-page", "/clients/abc/def"):
        page = web.get(path, headers=HTML)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in page.text


def test_the_api_and_clients_not_asking_for_html_keep_json(web: WebClient) -> None:
    api = web.get("/api/v1/no-such-thing", headers=HTML)
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")
    plain = web.get("/no-such-page", headers={"accept": "application/json"})
    assert plain.status_code == 404
    assert plain.headers["content-type"].startswith("application/json")
