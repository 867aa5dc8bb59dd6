"""The web UI, its HTTP API and the CLI start from the same frame rate (they once differed: 12 against 24)."""

from __future__ import annotations

from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import framer.webui

INDEX_HTML = Path(framer.webui.__file__).parent / "static" / "index.html"


class _InputValue(HTMLParser):
    """The ``value`` of the ``<input>`` with a given id."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.value = element_id, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "input" and fields.get("id") == self.element_id:
            self.value = fields.get("value")


def test_web_ui_api_and_cli_default_to_the_same_fps():
    from framer.cli.commands import tween
    from framer.webui.routes.jobs import GenerateBody

    parser = _InputValue("fps")
    parser.feed(INDEX_HTML.read_text(encoding="utf-8"))
    cli_default = next(param.default for param in tween.params if param.name == "fps")
    api_default = GenerateBody.model_fields["fps"].default
    assert parser.value is not None, "index.html has no fps input"
    assert Fraction(parser.value) == Fraction(api_default) == Fraction(cli_default) == 24
