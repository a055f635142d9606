"""Read a form from a page as a browser would submit it, so a test posts exactly what the page
rendered (hidden fields included) and changes only what a user would.

A test built from ``form.initial`` cannot see a field the template forgot to draw; one built
from the HTML can.
"""

from __future__ import annotations

from html.parser import HTMLParser

# Input types a browser never submits as a value of the form.
NOT_SUBMITTED = {"submit", "button", "image", "reset", "file"}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action") or "",
                "fields": [],
                "types": {},
            }
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in NOT_SUBMITTED:
                return
            self._form["types"][name] = kind
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    value = a.get("value")
                    self._form["fields"].append((name, "on" if value is None else value))
                return
            self._form["fields"].append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            self._close_select()
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # A browser drops the newline that starts a textarea's content.
            text = text.removeprefix("\r\n").removeprefix("\n")
            if self._form is not None:
                self._form["fields"].append((self._textarea["name"], text))
            self._textarea = None

    def _close_select(self) -> None:
        select, self._select, self._option = self._select, None, None
        options = select["options"]
        chosen = [o for o in options if o["selected"]]
        if not chosen and not select["multiple"] and options:
            chosen = options[:1]  # a single select submits its first option by default
        for option in chosen:
            value = option["value"] if option["value"] is not None else option["text"].strip()
            if self._form is not None:
                self._form["fields"].append((select["name"], value))


def forms_in(html: str) -> list[dict]:
    """Every form of the page: ``method``, ``action``, ``fields`` (name, value) pairs in
    document order, as a browser would submit them, and ``types`` (each input's type)."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_data(fields: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """(name, value) pairs as data for the test client: a name given twice becomes a list."""
    data: dict[str, str | list[str]] = {}
    for name, value in fields:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    return data


def page_form(response, *, containing: str | None = None) -> dict[str, str | list[str]]:
    """The data the page's own POST form would submit (the form that posts back to the page,
    not the logout button); ``containing``: the first POST form with a field of that name."""
    return form_data(find_form(response, containing=containing)["fields"])


def find_form(response, *, containing: str | None = None) -> dict:
    """The page's own POST form (see ``page_form``), as ``forms_in`` describes it."""
    html = response.content.decode()
    path = response.wsgi_request.path
    for form in forms_in(html):
        if form["method"] != "post":
            continue
        names = {name for name, _ in form["fields"]}
        if containing is not None and containing in names:
            return form
        if containing is None and form["action"] in ("", path):
            return form
    raise AssertionError(f"No POST form{f' with {containing!r}' if containing else ''} on {path}")


def submit(client, url: str, **changes) -> object:
    """Open ``url``, change what a user would change (``False`` unticks a checkbox), and post
    what the page rendered."""
    data = page_form(client.get(url))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return client.post(url, data)
