"""Render tables and the report from Jinja2 templates (sandboxed), so users can restyle them.

Templates are looked up first in a user folder (``--templates DIR``), then in the package's
``analysis/templates``. Copy a shipped template to your folder and edit it to restyle.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from beyond_episode.errors import BepError

from .table_doc import VERDICT_KIND, TableDoc

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("md", "tex", "html", "csv")

_SYMBOLS = {
    "md": {"supports": "✓", "contradicts": "✗", "inconclusive": "~", "no_prediction": "·", "no_data": "–"},
    "html": {"supports": "✓", "contradicts": "✗", "inconclusive": "~", "no_prediction": "·", "no_data": "–"},
    "tex": {
        "supports": r"$\checkmark$",
        "contradicts": r"$\times$",
        "inconclusive": r"$\sim$",
        "no_prediction": r"$\cdot$",
        "no_data": "--",
    },
}

_TEX = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "−": "$-$", "—": "---", "–": "--",
    "≥": r"$\geq$", "≤": r"$\leq$", "Σ": r"$\Sigma$", "²": r"$^2$", "α": r"$\alpha$",
    "✓": r"$\checkmark$", "✗": r"$\times$", "·": r"$\cdot$", "±": r"$\pm$", "×": r"$\times$", "→": r"$\rightarrow$",
}


def tex_escape(value: Any) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(value))


def tex_label(value: Any) -> str:
    """A ``\\label`` key: letters, digits, ``:``, ``-`` and ``.`` only."""
    return re.sub(r"[^A-Za-z0-9:.-]+", "-", str(value)).strip("-")


def md_escape(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _cell(value: Any, kind: str, fmt: str) -> str:
    if kind == VERDICT_KIND:
        return _SYMBOLS.get(fmt, _SYMBOLS["md"]).get(str(value), str(value))
    if fmt == "tex":
        return tex_escape(value)
    if fmt == "md":
        return md_escape(value)
    return str(value)


class Renderer:
    """Renders :class:`TableDoc` objects and the report through the template folders."""

    def __init__(self, templates: str | Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if templates is not None:
            folder = Path(templates)
            if not folder.is_dir():
                raise BepError(f"template folder '{folder}' not found")
            loaders.append(jinja2.FileSystemLoader(str(folder)))
        loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
        self.env = SandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["tex"] = tex_escape
        self.env.filters["md"] = md_escape
        self.env.filters["texlabel"] = tex_label
        self.env.filters["cell"] = _cell

    def render(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateError as err:
            raise BepError(f"template '{name}': {type(err).__name__}: {err}") from None

    def table(self, doc: TableDoc, fmt: str) -> str:
        """One table document (every section) in ``md``, ``tex`` or ``html``."""
        return self.render(f"table.{fmt}.j2", doc=doc)
