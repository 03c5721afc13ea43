"""report.html in a real browser (Debian's headless chromium): the matrix, no network, no errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

from browser import visit
from PIL import Image
from report_synth import MODELS, STUDIES

MATRIX = """JSON.stringify({
  cells: Array.from(document.querySelectorAll('#matrix tbody td')).map(td => ({
    study: td.dataset.study, model: td.dataset.model, code: td.dataset.code,
    text: td.textContent.trim(), href: td.querySelector('a').getAttribute('href'),
    background: getComputedStyle(td).backgroundColor})),
  models: Array.from(document.querySelectorAll('#matrix thead th[scope=col]')).map(th => th.textContent.trim()),
  images: Array.from(document.images).map(img => [img.src.slice(0, 22), img.naturalWidth]),
  sections: Array.from(document.querySelectorAll('section.study')).map(s => s.id),
  link: (() => {
    const a = document.querySelector('#models-sandbagging_b6 a.num');
    const target = document.getElementById(a.getAttribute('href').slice(1));
    return {href: a.getAttribute('href'), target: target ? target.textContent : null};
  })(),
})"""


def test_report_html_in_chromium(full_report: Path) -> None:
    page = full_report / "report.html"
    seen = visit(page, MATRIX)
    data = json.loads(seen.value)
    assert seen.errors == [], f"console errors: {seen.errors}"
    assert seen.network == [], f"the page made network requests: {seen.network}"
    assert any(u.startswith("file:") for u in seen.requests)  # the recorder did see the page itself

    expected = {(r["study"], r["model"]): r["conclusion"]["code"]
                for r in json.loads((full_report / "verdicts.json").read_text())["results"]}
    cells = data["cells"]
    assert len(cells) == len(STUDIES) * len(MODELS) == 20
    assert {(c["study"], c["model"]) for c in cells} == set(expected)
    for c in cells:
        assert c["code"] == expected[(c["study"], c["model"])]
        assert c["text"].rstrip("!?") == c["code"]
        assert c["href"] == f"#study-{c['study']}" and f"study-{c['study']}" in data["sections"]
    assert data["models"] == list(MODELS)
    # the codes differ across the matrix, and each code has its own colour
    colours = {}
    for c in cells:
        colours.setdefault(c["code"], set()).add(c["background"])
    assert len(colours) >= 3 and all(len(v) == 1 for v in colours.values())
    assert len({next(iter(v)) for v in colours.values()}) == len(colours)

    # figures are embedded and decoded
    assert data["images"] and all(src.startswith("data:image/png;base64") and w > 100 for src, w in data["images"])
    # a number links to its samples: the log file, the sample ids and the command that opens them
    target = data["link"]["target"]
    assert target and "/data/logs/sandbagging_b6/lab_model-1.eval" in target
    assert "inspect view --log-dir /data/logs/sandbagging_b6" in target and "baseline.a.item0 (epochs 1-8)" in target

    shot = Image.open(io.BytesIO(seen.screenshot))
    assert shot.size[0] >= 1000 and len(shot.convert("RGB").getcolors(1 << 24) or []) > 20
    (full_report / "screenshot.png").write_bytes(seen.screenshot)
