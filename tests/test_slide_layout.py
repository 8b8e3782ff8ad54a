"""The slide export's rules (tools/slide_layout.py), on small cells made here; no browser needed.

What a slide shows of a markdown cell (headings, maths, the lead) and what goes
to the speaker notes; code hidden unless tagged; long printouts trimmed, long
tables split, live widgets without state left out; figures cut only in gaps of
background pixels; a cell that would overfill its slide continued on a vertical
slide with its caption; the notebook itself never changed. tests/test_slides.py
measures the built decks in Chromium.
"""

from __future__ import annotations

import base64
import copy
import io
import sys

import nbformat
import numpy as np
import pytest

from conftest import REPO

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import slide_layout as L  # noqa: E402

PROSE = (
    "The first sentence says what the slide is about. The second one adds a detail that a reader "
    "wants and a listener can hear instead, with a number or two (3.5 nats, e.g. the KL term) and "
    "an aside. A third sentence, $x_i = \\mu + \\sigma \\varepsilon$, finishes the thought, and a "
    "fourth one makes sure the cell is well over the short-cell limit of the rule."
)


def md(source, slide_type="-", tags=()):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def code(source="x = 1", outputs=(), slide_type="-", tags=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def png_output(pixels: np.ndarray):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, format="PNG")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": "<Figure>"}}


def banded(height, width, bands, axis=0, gap=12):
    """A white image with BANDS grey blocks along AXIS, separated by white gaps of GAP lines."""
    pixels = np.full((height, width, 3), 255)
    length = (height, width)[axis]
    step = length // bands
    for k in range(bands):
        lo, hi = k * step + gap // 2, (k + 1) * step - gap // 2
        if axis == 0:
            pixels[lo:hi, 10:-10] = 90
        else:
            pixels[10:-10, lo:hi] = 90
    return pixels


def nb_of(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


# --------------------------------------------------------------------------- markdown


def test_sentences_keep_maths_code_and_abbreviations_whole():
    text = "We fit $p(x) = 0.5$. Then e.g. `a.b()` runs, see Fig. 2 and Kingma et al. 2014. Done here now."
    assert L.sentences(text) == [
        "We fit $p(x) = 0.5$.",
        "Then e.g. `a.b()` runs, see Fig. 2 and Kingma et al. 2014.",
        "Done here now.",
    ]
    # a bold label is not a sentence of its own
    assert L.sentences("**Plan.** Three steps come next.") == ["**Plan.** Three steps come next."]


def test_a_long_cell_keeps_heading_maths_and_first_sentence_the_rest_goes_to_notes():
    source = f"## A heading\n\n{PROSE}\n\n$$\\log p(x) \\ge \\mathrm{{ELBO}}$$\n\nMore prose after the maths."
    slide, notes = L.split_markdown(source)
    assert slide.splitlines()[0] == "## A heading"
    assert "The first sentence says what the slide is about." in slide
    assert "The second one" not in slide and "$$\\log p(x)" in slide and "More prose" not in slide
    assert notes.startswith("The first sentence") and "More prose after the maths." in notes
    assert "## A heading" not in notes
    assert L.words(slide) <= 15


def test_a_list_keeps_each_items_lead():
    source = (
        "## What we learned\n\n"
        "- **A judge needs a track record.** Both judges were checked on real digits first, and a rate means little.\n"
        "- The dose matters: alpha = 1 is a convention, not a law, and the curves show whether a larger step helps.\n"
        "- Two judges keep us honest about the images; where they agree, a result is a property of the images.\n"
        "\nNext, notebook 07 asks for more."
    )
    slide, notes = L.split_markdown(source)
    assert slide == ("## What we learned\n\n- **A judge needs a track record.**\n"
                     "- The dose matters: alpha = 1 is a convention, not a law, and the curves show whether a larger step helps.\n"
                     "- Two judges keep us honest about the images")
    assert "Next, notebook 07" in notes and "Both judges were checked" in notes


def test_a_short_cell_stays_whole_and_the_marker_and_tags_override():
    short = "Left: the codes. Right: the decoded plane, on the same axes."
    assert L.split_markdown(short) == (short, "")
    marked = f"## Title\n\nMy own slide text.\n\n<!-- notes -->\n\n{PROSE}"
    assert L.split_markdown(marked) == ("## Title\n\nMy own slide text.", PROSE)
    long = f"## Title\n\n{PROSE}"
    assert L.split_markdown(long, whole=True) == (long, "")
    assert L.split_markdown(long, notes_only=True) == ("## Title", PROSE)


def test_layout_adds_a_notes_cell_and_leaves_the_notebook_alone():
    nb = nb_of(md(f"# Title\n\n{PROSE}", "slide"), md(PROSE, "fragment"), md(f"## Two\n\n{PROSE}", "slide", ["slide-text"]))
    before = copy.deepcopy(nb)
    out = L.layout(nb)
    assert nb == before
    kinds = [(c.cell_type, L.slide_type(c)) for c in out.cells]
    assert kinds == [("markdown", "slide"), ("markdown", "notes"), ("markdown", "fragment"),
                     ("markdown", "notes"), ("markdown", "slide")]
    assert out.cells[1].source == PROSE and out.cells[4].source == nb.cells[2].source
    assert len({c.id for c in out.cells}) == len(out.cells)


# --------------------------------------------------------------------------- code


def test_code_is_hidden_unless_tagged_and_its_outputs_stay():
    nb = nb_of(md("# T", "slide"), code(outputs=[stream("a line\n")]), code("shown()", tags=["slide-code"]),
               code("nothing = 1"))
    out = L.layout(nb)
    hidden, shown, empty = out.cells[1], out.cells[2], out.cells[3]
    assert hidden.metadata["transient"] == {"remove_source": True} and hidden.outputs[0]["text"] == "a line\n"
    assert "transient" not in shown.metadata
    assert L.slide_type(empty) == "skip"  # no output, no source shown: nothing to put on a slide


def test_long_printouts_are_trimmed_unless_tagged_and_streams_are_joined():
    log = [stream(f"epoch {i}: loss {100 - i}\n") for i in range(30)]
    out = L.layout(nb_of(md("# T", "slide"), code(outputs=log), code(outputs=log, tags=["slide-text"])))
    trimmed = out.cells[1].outputs
    assert len(trimmed) == 1
    lines = trimmed[0]["text"].splitlines()
    assert lines[0] == "epoch 0: loss 100" and lines[-1] == "epoch 29: loss 71"
    assert "more lines in the notebook" in lines[1] and len(lines) <= 1 + L.STREAM_HEAD + L.STREAM_TAIL
    whole = [c for c in out.cells[2:] if c.get("outputs")]
    assert sum(o["text"].count("\n") for c in whole for o in c.outputs) == 30


def test_long_tables_are_split_with_their_header():
    table = "| a | b |\n|---|---|\n" + "".join(f"| {i} | {i * i} |\n" for i in range(25))
    output = {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": table, "text/plain": "x"}}
    out = L.layout(nb_of(md("# T", "slide"), code(outputs=[output])))
    parts = [o for c in out.cells[1:] for o in c.get("outputs", [])]
    assert len(parts) == 3
    for part in parts:
        lines = part["data"]["text/markdown"].strip().splitlines()
        assert lines[:2] == ["| a | b |", "|---|---|"] and len(lines) - 2 <= L.TABLE_ROWS
    assert [ln for p in parts for ln in p["data"]["text/markdown"].strip().splitlines()[2:]] == table.strip().splitlines()[2:]


def test_a_widget_without_saved_state_is_left_out():
    view = {"output_type": "display_data", "metadata": {},
            "data": {L.WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0}, "text/plain": "VBox(...)"}}
    nb = nb_of(md("# T", "slide"), code(outputs=[view, stream("kept\n")]))
    assert [o.get("text") for o in L.layout(nb).cells[1].outputs] == ["kept\n"]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"abc": {}}}}
    assert len(L.layout(nb).cells[1].outputs) == 2


def test_tall_and_wide_figures_are_cut_in_gaps_only():
    tall = png_output(banded(1800, 400, 12))
    pieces = L.cut_figure(nbformat.from_dict(tall))
    assert len(pieces) == 4
    heights = [L.png_size(p["data"]["image/png"])[1] for p in pieces]
    assert sum(heights) == 1800 and max(heights) * L.MIN_FIGURE_SCALE <= L.FIGURE_ROOM
    # every cut lies in a white gap: the first and last row of every band are white
    from PIL import Image
    for p in pieces:
        band = np.asarray(Image.open(io.BytesIO(base64.b64decode(p["data"]["image/png"]))).convert("L"))
        assert band[0].min() == 255 and band[-1].min() == 255
    wide = png_output(banded(200, 2200, 4, axis=1, gap=20))
    assert [L.png_size(p["data"]["image/png"])[0] for p in L.cut_figure(nbformat.from_dict(wide))] == [1100, 1100]
    # no gap, no cut: the figure is left for the deck to scale
    solid = png_output(np.full((1800, 400, 3), 90))
    assert len(L.cut_figure(nbformat.from_dict(solid))) == 1
    small = png_output(banded(300, 400, 3))
    assert len(L.cut_figure(nbformat.from_dict(small))) == 1


def test_an_overfull_slide_continues_on_a_vertical_slide_with_its_caption():
    figure = png_output(banded(420, 800, 3))
    nb = nb_of(md("## Section\n\nOne short line.", "slide"), code(outputs=[figure]),
               md("The next figure shows more.", "fragment"), code(outputs=[figure]), code(outputs=[stream("done\n")]))
    out = L.layout(nb)
    assert [L.slide_type(c) for c in out.cells] == ["slide", "-", "subslide", "-", "-"]
    # several figures of one cell are spread over slides too
    many = L.layout(nb_of(md("# T", "slide"), code(outputs=[figure, figure, figure])))
    assert [L.slide_type(c) for c in many.cells] == ["slide", "-", "subslide", "subslide"]


def test_every_chapter_lays_out_without_error_and_keeps_every_figure():
    from tools import repo

    for path in repo.content_notebooks():
        nb = nbformat.read(path, as_version=4)
        out = L.layout(nb)
        shown = [c for c in out.cells if L.slide_type(c) not in {"skip", "notes"}]
        assert len(shown) >= 2, path.name
        figures_in = sum("image/png" in o.get("data", {}) for c in nb.cells if L.slide_type(c) not in {"skip", "notes"}
                         for o in c.get("outputs", []))
        figures_out = sum("image/png" in o.get("data", {}) for c in shown for o in c.get("outputs", []))
        assert figures_out >= figures_in, f"{path.name}: a figure went missing on the slides"


@pytest.mark.parametrize("tag", L.TAGS)
def test_tags_are_documented_for_authors(tag):
    from tools import export

    assert f"``{tag}``" in export.__doc__ and f"``{tag}``" in L.__doc__


def test_the_talk_loses_nothing_every_block_of_prose_is_on_a_slide_or_in_the_notes():
    from tools import repo

    for path in repo.content_notebooks():
        nb = nbformat.read(path, as_version=4)
        out = L.layout(nb)
        by_id = {}
        for cell in out.cells:
            by_id.setdefault(cell.get("id", "").split("-")[0], []).append(cell)
        for cell in nb.cells:
            if cell.cell_type != "markdown" or L.slide_type(cell) in {"skip", "notes"}:
                continue
            derived = "\n\n".join(c.source for c in by_id[cell.id])
            for kind, block in L._blocks(cell.source):
                assert block in derived, f"{path.name} cell {cell.id}: {kind} left out of slide and notes: {block[:60]!r}"
