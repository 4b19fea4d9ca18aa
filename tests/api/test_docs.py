"""/docs and /redoc work offline: every script and style they load is served by the app itself."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Api


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_every_asset_of_the_page_comes_from_the_app(api: Api, page: str) -> None:
    async with api.client() as http:
        answer = await http.get(page)
        assert answer.status_code == 200
        assert "text/html" in answer.headers["content-type"]
        parser = Assets()
        parser.feed(answer.text)
        kinds = {url.rsplit(".", 1)[-1] for url in parser.urls}
        assert {"js", "png"} <= kinds, parser.urls
        for url in parser.urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{url} is off-host"
            asset = await http.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
        assert "/openapi.json" in answer.text
        assert (await http.get("/openapi.json")).status_code == 200


async def test_swagger_ui_has_its_style(api: Api) -> None:
    async with api.client() as http:
        page = (await http.get("/docs")).text
    assert 'rel="stylesheet"' in page and "swagger-ui.css" in page
