"""How a notebook cell becomes slide content: the rules of the slide export (``make slides``).

``SlideLayout`` is an nbconvert preprocessor that only ``tools.export``'s slide
build runs; the notebooks themselves are not changed, so JupyterLab, nbviewer
and the HTML pages show every cell as written. The convention, for authors, is
in the docstring of ``tools/export.py``; in short:

- a markdown cell keeps its headings, its display maths and images, and a lead
  (the first sentence of its first paragraph, or the first sentence of each
  item of its first list) on the slide; its full prose becomes a speaker-notes
  cell (reveal.js ``aside.notes``, shown with ``s``). Short cells stay whole.
  A line ``<!-- notes -->`` splits a cell by hand: above it on the slide, below
  it in the notes (the comment is invisible in every renderer);
- a code cell shows its outputs, not its source; long printouts are trimmed to
  their first and last lines, long tables and markdown prose printed by code
  are split or sent to the notes like markdown cells;
- a cell's outputs, and the cells of a slide, that would not fit the canvas
  together move on to a continuation (vertical) slide, a figure's caption with
  it; a figure too tall to be read when scaled to the canvas is cut, between
  rows of background pixels, into bands shown one per continuation slide, and
  one too wide is cut between columns into pieces shown one under the other;
- a live widget without saved state (it needs a kernel) is left out.

Tags a cell can carry to override the rules (``TAGS``):

- ``slide-code``: show this code cell's source on the slide (the code is the point);
- ``slide-text``: show this cell's text in full: markdown unshortened, printouts untrimmed;
- ``notes``: send this cell to the speaker notes (a markdown cell's headings stay on the slide).

Heights are estimated here in slide pixels, for the stylesheet of
``tools/nbconvert_templates/offline_reveal`` (which also scales figures down to
the room a slide leaves them); tests/test_slides.py measures the result.
"""

from __future__ import annotations

import base64
import copy
import io
import math
import re

import nbformat
from nbconvert.preprocessors import Preprocessor

TAG_CODE = "slide-code"
TAG_TEXT = "slide-text"
TAG_NOTES = "notes"
#: The tags the slide export reads; any other tag starting with ``slide`` is a typo (tools.publishing checks).
TAGS = (TAG_CODE, TAG_TEXT, TAG_NOTES)
NOTES_MARKER = re.compile(r"^[ \t]*<!--\s*notes\s*-->[ \t]*$", re.MULTILINE | re.IGNORECASE)

# Canvas and stylesheet, in slide pixels (see offline_reveal/index.html.j2).
CANVAS = (960, 700)
#: Height a slide's content may fill: the canvas less reveal's section padding and a margin.
BUDGET = 610
TEXT_WIDTH = 900
CHARS_PER_LINE = 72  # markdown at 22 px in TEXT_WIDTH
LINE = 34  # markdown line height
PARAGRAPH_GAP = 16
HEADING = {1: 90, 2: 76, 3: 62, 4: 52, 5: 46, 6: 46}
DISPLAY_MATH = 90
CODE_LINE = 26  # printed text / code at 19 px
CODE_CHARS = 78
TABLE_ROW = 38
#: An embedded HTML block (an animation player, a widget) whose height the HTML does not say.
HTML_BLOCK = 480
#: Figures may shrink to this share of their size before the split rule moves things on.
FIGURE_SHRINK = 0.8
#: A figure that would have to shrink below this share of its size to fit is cut into pieces.
MIN_FIGURE_SCALE = 0.7
FIGURE_ROOM = BUDGET - HEADING[3]  # a continuation slide: maybe a heading, then the figure

SHORT_WORDS = 35  # a cell this short (headings and maths aside) stays whole on its slide
LEAD_WORDS = 45  # the lead's budget: a paragraph's first sentence ...
LIST_WORDS = 55  # ... or the leads of a list's items
LIST_ITEMS = 8
STREAM_LINES = 14  # a printout longer than this many slide rows is trimmed ...
STREAM_HEAD, STREAM_TAIL = 1, 6  # ... to its first line(s) and last rows
TABLE_ROWS = 10  # a table with more rows is split, its header repeated


# --------------------------------------------------------------------------- markdown


FENCE = re.compile(r"^\s*(```|~~~)")
HEADING_LINE = re.compile(r"^(#{1,6})\s")
LIST_ITEM = re.compile(r"^(\s{0,3})([*+-]|\d+[.)])\s+")
IMAGE = re.compile(r"^\s*(!\[[^\]]*\]\([^)]*\)|<img\b)", re.IGNORECASE)
PROTECT = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$|`[^`\n]+`|\\\(.+?\\\)", re.DOTALL)
SENTENCE_END = re.compile(r"(?<=[.!?])[*_\")\]]*(?=\s+[\"'(*_`$A-Z0-9\[])")
ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|vs|cf|al|Fig|Eq|etc|approx|resp)\.|\b[A-Z]\.)$")
BOLD_LEAD = re.compile(r"^\s*(\*\*|__)(.+?[.!?])\1(?=\s|$)")


def _blocks(source: str) -> list[tuple[str, str]]:
    """``(kind, text)`` blocks of a markdown cell: heading, math, image, table, code, list, paragraph."""
    blocks: list[tuple[str, str]] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if FENCE.match(line):
            j = i + 1
            while j < len(lines) and not FENCE.match(lines[j]):
                j += 1
            blocks.append(("code", "\n".join(lines[i:j + 1])))
            i = j + 1
            continue
        if HEADING_LINE.match(line):
            blocks.append(("heading", line))
            i += 1
            continue
        if line.strip().startswith("$$") or line.strip().startswith("\\begin{"):
            opener = "$$" if line.strip().startswith("$$") else "\\end{"
            j = i
            rest = line.strip()[2:] if opener == "$$" else line
            while opener not in rest and j + 1 < len(lines):
                j += 1
                rest = lines[j]
            blocks.append(("math", "\n".join(lines[i:j + 1])))
            i = j + 1
            continue
        kind = "table" if line.lstrip().startswith("|") else "image" if IMAGE.match(line) else (
            "list" if LIST_ITEM.match(line) else "paragraph")
        j = i + 1
        while j < len(lines) and lines[j].strip() and not HEADING_LINE.match(lines[j]) and not FENCE.match(lines[j]):
            if kind == "paragraph" and (LIST_ITEM.match(lines[j]) or lines[j].strip().startswith("$$")):
                break
            j += 1
        if kind == "list":  # a list goes on across blank lines while items or indented lines follow
            while j + 1 < len(lines) and not lines[j].strip() and (
                    LIST_ITEM.match(lines[j + 1]) or lines[j + 1].startswith("  ")):
                j += 1
                while j < len(lines) and lines[j].strip():
                    j += 1
        blocks.append((kind, "\n".join(lines[i:j])))
        i = j
    return blocks


def _list_items(text: str) -> list[tuple[str, str]]:
    """``(marker, item text)`` of a list block's top-level items."""
    items: list[list[str]] = []
    indent = None
    for line in text.splitlines():
        m = LIST_ITEM.match(line)
        if m and (indent is None or len(m.group(1)) <= indent):
            indent = len(m.group(1)) if indent is None else indent
            items.append([m.group(2), line[m.end():].strip()])
        elif items and line.strip():
            items[-1][1] += " " + line.strip()
    return [(marker, item) for marker, item in items]


def _protected(text: str) -> tuple[str, list[str]]:
    """TEXT with maths and code spans replaced by placeholders (periods inside them end no sentence)."""
    kept: list[str] = []

    def hold(m):
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    return PROTECT.sub(hold, text), kept


def _restore(text: str, kept: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def sentences(text: str) -> list[str]:
    """TEXT (one paragraph of markdown) cut into sentences; maths, code spans and abbreviations are kept whole."""
    flat, kept = _protected(" ".join(text.split()))
    pieces, start = [], 0
    for m in SENTENCE_END.finditer(flat):
        if ABBREVIATION.search(flat[start:m.start()]):
            continue
        pieces.append(flat[start:m.end()].strip())
        start = m.end()
    pieces.append(flat[start:].strip())
    merged: list[str] = []
    for piece in filter(None, pieces):
        if merged and re.fullmatch(r"(\*\*|__)[^*_]+\1", merged[-1]):  # a bold label ("**Plan.**") leads into the next one
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return [_restore(p, kept) for p in merged]


def words(text: str) -> int:
    """Words of markdown TEXT as a reader sees them: markup dropped, a formula or code span is one word."""
    flat, _ = _protected(text)
    flat = re.sub(r"<!--.*?-->|<[^>]+>|\]\([^)]*\)", " ", flat, flags=re.DOTALL)
    return sum(1 for w in flat.split() if re.search(r"[\w\x00]", w))


def _clause(sentence: str, marks: str) -> str:
    """SENTENCE up to its first clause mark in MARKS (outside maths and code), when what is left says something."""
    flat, kept = _protected(sentence)
    for m in re.finditer(f"[{re.escape(marks)}](?=\\s)", flat):
        head = _restore(flat[:m.start()], kept).rstrip()
        if words(head) >= 6:
            bold = head.count("**") % 2
            single = head.replace("**", "").count("*") % 2
            return head + "*" * single + "**" * bold  # close emphasis the cut left open
    return sentence


def _item_lead(item: str) -> str:
    """A list item's lead: its bold opening sentence, else its first sentence up to a colon or semicolon."""
    bold = BOLD_LEAD.match(item)
    if bold:
        return bold.group(0).strip()
    first = sentences(item)
    return _clause(first[0] if first else item, ":;")


def lead(blocks: list[tuple[str, str]]) -> list[str]:
    """The markdown lines of the lead: the first text block, shortened; [] when nothing short enough."""
    text = [b for b in blocks if b[0] in {"paragraph", "list"}]
    if not text:
        return []
    kind, body = text[0]
    out: list[str] = []
    if kind == "paragraph":
        index = blocks.index(text[0])
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if body.rstrip().endswith(":") and words(body) <= 15 and following and following[0] == "list":
            out.append(" ".join(body.split()))
            kind, body = following
        else:
            first = sentences(body)
            sentence = first[0] if first else ""
            if words(sentence) > LEAD_WORDS:
                sentence = _clause(sentence, ";")
            return [sentence] if sentence and words(sentence) <= LEAD_WORDS else []
    budget = LIST_WORDS - sum(words(x) for x in out)
    shown = 0
    for marker, item in _list_items(body):
        line = _item_lead(item)
        if shown >= LIST_ITEMS:
            break
        if shown and words(line) > budget:
            continue  # an item whose lead is too long for what is left: the notes have it
        budget -= words(line)
        shown += 1
        out.append(f"{marker if marker[0].isdigit() else '-'} {line}")
    return out


def split_markdown(source: str, *, whole: bool = False, notes_only: bool = False) -> tuple[str, str]:
    """``(slide text, notes text)`` of a markdown cell's SOURCE; notes is "" when nothing was left out.

    WHOLE keeps everything on the slide; NOTES_ONLY keeps only the headings there.
    """
    marker = NOTES_MARKER.search(source)
    if marker and not whole:
        return source[:marker.start()].rstrip(), source[marker.end():].strip()
    if whole:
        return source, ""
    blocks = _blocks(source)
    prose = "\n\n".join(t for k, t in blocks if k != "heading")
    if not notes_only and words("\n".join(t for k, t in blocks if k not in {"heading", "math", "image"})) <= SHORT_WORDS:
        return source, ""
    keep: list[str] = []
    lead_lines = [] if notes_only else lead(blocks)
    lead_placed = False
    for kind, body in blocks:
        if kind == "heading":
            keep.append(body)
        elif kind in {"math", "image", "table"} and not notes_only:
            keep.append(body)
        elif kind in {"paragraph", "list"} and not lead_placed and lead_lines:
            keep.append("\n".join(lead_lines))
            lead_placed = True
    return "\n\n".join(keep), prose


def markdown_height(source: str) -> float:
    """Estimated height of rendered markdown SOURCE on a slide, in slide pixels."""
    height = 0.0
    for kind, body in _blocks(source):
        if kind == "heading":
            height += HEADING[len(HEADING_LINE.match(body).group(1))]
        elif kind == "math":
            height += DISPLAY_MATH
        elif kind == "table":
            height += TABLE_ROW * max(1, body.count("\n"))
        elif kind == "image":
            height += 300
        elif kind == "code":
            height += CODE_LINE * (body.count("\n") + 1) + PARAGRAPH_GAP
        elif kind == "list":
            items = _list_items(body) or [("-", body)]
            height += sum(LINE * math.ceil(max(1, len(item) + 4) / CHARS_PER_LINE) for _, item in items)
            height += PARAGRAPH_GAP
        else:
            height += LINE * math.ceil(len(" ".join(body.split())) / CHARS_PER_LINE) + PARAGRAPH_GAP
    return height


# --------------------------------------------------------------------------- outputs


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def png_size(data: str) -> tuple[int, int] | None:
    """Width and height of a base64 PNG, from its header."""
    try:
        head = base64.b64decode(_text(data)[:64])
    except ValueError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _shown_size(output) -> tuple[float, float] | None:
    """CSS size an image output is drawn at (nbconvert honours width/height metadata), before fitting."""
    data = output.get("data", {})
    if "image/png" not in data:
        return None
    size = png_size(data["image/png"])
    if size is None:
        return None
    meta = output.get("metadata", {}).get("image/png", {})
    w, h = float(meta.get("width", size[0])), float(meta.get("height", size[1]))
    if "width" in meta and "height" not in meta:
        h = size[1] * w / size[0]
    scale = min(1.0, TEXT_WIDTH / w)
    return w * scale, h * scale


def _is_table(markdown: str) -> bool:
    lines = [ln for ln in markdown.strip().splitlines() if ln.strip()]
    return len(lines) >= 2 and all(ln.lstrip().startswith("|") for ln in lines)


def output_height(output) -> float:
    """Estimated height of one output on a slide (figures at the size they may shrink to)."""
    kind = output.get("output_type")
    if kind == "stream":
        lines = _text(output.get("text", "")).rstrip("\n").splitlines() or [""]
        return CODE_LINE * sum(map(_rows, lines)) + 12
    if kind not in {"display_data", "execute_result"}:
        return 0.0
    data = output.get("data", {})
    size = _shown_size(output)
    if size is not None:
        return size[1] * FIGURE_SHRINK + 10
    if "text/html" in data:
        html = _text(data["text/html"])
        return HTML_BLOCK if len(html) > 400 else LINE * 2
    if "text/markdown" in data:
        md = _text(data["text/markdown"])
        if _is_table(md):
            return TABLE_ROW * (md.strip().count("\n")) + PARAGRAPH_GAP
        return markdown_height(md)
    if "text/latex" in data:
        return DISPLAY_MATH
    if "text/plain" in data:
        return CODE_LINE * (_text(data["text/plain"]).count("\n") + 1) + 12
    return 0.0


def _rows(line: str) -> int:
    """Rows a printed LINE takes on a slide, where long lines wrap."""
    return max(1, math.ceil(len(line) / CODE_CHARS))


def trim_stream(text: str) -> str:
    """A printout too long for a slide as its first line(s) and last lines, and how many were left out.

    Lengths are counted in slide rows (a long line wraps): a printout of more than
    STREAM_LINES rows keeps its first STREAM_HEAD lines and last STREAM_TAIL rows.
    """
    lines = text.rstrip("\n").splitlines()
    if sum(map(_rows, lines)) <= STREAM_LINES:
        return text
    head = lines[:STREAM_HEAD]
    tail: list[str] = []
    rows = 0
    for line in reversed(lines[STREAM_HEAD:]):
        if tail and rows + _rows(line) > STREAM_TAIL:
            break
        tail.insert(0, line)
        rows += _rows(line)
    left_out = len(lines) - len(head) - len(tail)
    return "\n".join([*head, f"⋮ ({left_out} more lines in the notebook)", *tail]) + "\n"


def coalesce_streams(outputs: list) -> list:
    """Consecutive stream outputs of one stream joined into one (a training log is one printout per epoch)."""
    merged: list = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] = _text(merged[-1]["text"]) + _text(out["text"])
        else:
            merged.append(copy.deepcopy(out))
    return merged


def split_table(markdown: str, rows: int = TABLE_ROWS) -> list[str]:
    """A markdown table cut into tables of at most ROWS body rows, each with the header repeated."""
    lines = [ln for ln in markdown.strip().splitlines() if ln.strip()]
    head, body = lines[:2], lines[2:]
    if len(body) <= rows:
        return [markdown]
    parts = math.ceil(len(body) / rows)
    per = math.ceil(len(body) / parts)
    return ["\n".join(head + body[i:i + per]) + "\n" for i in range(0, len(body), per)]


#: A figure is cut only in a gap: a run of lines at most this share inked (rows may cross the thin
#: vertical lines of a grid; columns must be blank, or they could cut through a line of text) ...
CUT_INK = {0: 0.03, 1: 0.0}
#: ... at least this many lines long (rows: between rows of digits; columns: between panels, not letters).
CUT_GAP = {0: 3, 1: 12}


def _gaps(ink, axis: int) -> list[tuple[int, int]]:
    """``(start, length)`` of the runs of nearly blank lines in a figure's ink profile."""
    runs, start = [], None
    for i, blank in enumerate(list(ink <= CUT_INK[axis]) + [False]):
        if blank and start is None:
            start = i
        elif not blank and start is not None:
            if i - start >= CUT_GAP[axis]:
                runs.append((start, i - start))
            start = None
    return runs


def figure_cuts(png: bytes, pieces: int, axis: int = 0) -> list[bytes] | None:
    """PNG cut into PIECES bands: rows (axis 0, horizontal cuts) or columns (axis 1, vertical cuts).

    Each cut goes through the middle of the widest gap (``CUT_GAP``) within a quarter
    of a band of its ideal place; None when some cut finds no gap, so that a figure is
    never cut through (nor into pieces of very different sizes).
    """
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    background = pixels[0, 0]
    ink = (np.abs(pixels - background).max(axis=2) > 8).mean(axis=1 - axis)  # share of each line inked
    length = pixels.shape[axis]
    gaps = _gaps(ink, axis)
    cuts = [0]
    for k in range(1, pieces):
        ideal = k * length / pieces
        window = length / pieces / 4
        near = [(n, start + n // 2) for start, n in gaps
                if abs(start + n // 2 - ideal) <= window and start + n // 2 > cuts[-1]]
        if not near:
            return None
        cuts.append(max(near, key=lambda g: (g[0], -abs(g[1] - ideal)))[1])
    cuts.append(length)
    bands = []
    for start, stop in zip(cuts, cuts[1:]):
        box = (0, start, image.width, stop) if axis == 0 else (start, 0, stop, image.height)
        buf = io.BytesIO()
        image.crop(box).save(buf, format="PNG", optimize=True)
        bands.append(buf.getvalue())
    return bands


def _with_png(output, png: bytes):
    part = copy.deepcopy(output)
    part["data"]["image/png"] = base64.b64encode(png).decode("ascii")
    meta = part.get("metadata", {}).get("image/png")
    if meta:  # a band keeps the figure's scale: its own pixel size, no stretched height
        meta.pop("height", None)
        meta.pop("width", None)
    return part


def cut_figure(output) -> list:
    """OUTPUT, or copies of it holding the pieces of a figure too large to read when scaled to fit.

    Too wide (it would shrink below MIN_FIGURE_SCALE to the slide's width): cut at
    background columns into pieces shown one under the other. Too tall for a slide:
    cut at background rows into bands, which the pagination puts one per slide.
    """
    data = output.get("data", {})
    if "image/png" not in data or png_size(data["image/png"]) is None:
        return [output]
    width, height = png_size(data["image/png"])
    parts = [output]
    if width * MIN_FIGURE_SCALE > TEXT_WIDTH:
        bands = figure_cuts(base64.b64decode(_text(data["image/png"])), math.ceil(width * MIN_FIGURE_SCALE / TEXT_WIDTH), axis=1)
        if bands:
            parts = [_with_png(output, band) for band in bands]
    result = []
    for part in parts:
        size = _shown_size(part)
        if size is None or size[1] * MIN_FIGURE_SCALE <= FIGURE_ROOM:
            result.append(part)
            continue
        bands = figure_cuts(base64.b64decode(_text(part["data"]["image/png"])), math.ceil(size[1] / FIGURE_ROOM))
        result.extend([_with_png(part, band) for band in bands] if bands else [part])
    return result


# --------------------------------------------------------------------------- cells


def slide_type(cell) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def _set_slide_type(cell, kind: str) -> None:
    cell.metadata.setdefault("slideshow", {})["slide_type"] = kind


def _derived(cell, suffix: str, kind: str):
    """A new cell beside CELL (for notes or a continuation slide), with an id of its own."""
    new = copy.deepcopy(cell)
    if "id" in cell:
        new["id"] = f"{cell['id']}-{suffix}"
    _set_slide_type(new, kind)
    return new


def _notes_cell(cell, text: str, suffix: str = "notes"):
    note = nbformat.v4.new_markdown_cell(text)
    note.metadata["slideshow"] = {"slide_type": "notes"}
    if "id" in cell:
        note["id"] = f"{cell['id']}-{suffix}"
    return note


def layout_markdown(cell) -> list:
    tags = set(cell.metadata.get("tags", []))
    slide, notes = split_markdown(cell.source, whole=TAG_TEXT in tags, notes_only=TAG_NOTES in tags)
    if not notes:
        return [cell]
    cells = []
    if slide.strip():
        shown = copy.deepcopy(cell)
        shown.source = slide
        cells.append(shown)
    elif slide_type(cell) in {"slide", "subslide"}:
        # the notes alone cannot open a slide: keep an empty slide cell for the structure
        shown = copy.deepcopy(cell)
        shown.source = ""
        cells.append(shown)
    cells.append(_notes_cell(cell, notes))
    return cells


def _output_pieces(cell, outputs: list) -> list[list]:
    """OUTPUTS grouped into runs that fit a slide together; every run after the first gets its own slide."""
    pieces: list[list] = [[]]
    height = 0.0
    for out in outputs:
        h = output_height(out)
        if pieces[-1] and height + h > BUDGET - HEADING[2]:
            pieces.append([])
            height = 0.0
        pieces[-1].append(out)
        height += h
    return pieces


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def layout_code(cell, widget_state: dict | None = None) -> list:
    tags = set(cell.metadata.get("tags", []))
    if TAG_NOTES in tags:
        note = copy.deepcopy(cell)
        _set_slide_type(note, "notes")
        return [note]
    cell = copy.deepcopy(cell)
    if TAG_CODE not in tags:
        cell.metadata["transient"] = {"remove_source": True}
    notes: list[str] = []
    outputs = []
    for out in coalesce_streams(cell.get("outputs", [])):
        view = out.get("data", {}).get(WIDGET_VIEW)
        if view is not None and (view.get("model_id") not in (widget_state or {})):
            continue  # a live widget without saved state: the slide would show its text repr
        if out.get("output_type") == "stream" and TAG_TEXT not in tags:
            out["text"] = trim_stream(_text(out["text"]))
            outputs.append(out)
            continue
        data = out.get("data", {})
        md = _text(data["text/markdown"]) if "text/markdown" in data else None
        if md is not None and _is_table(md) and TAG_TEXT not in tags:
            for part in split_table(md):
                piece = copy.deepcopy(out)
                piece["data"]["text/markdown"] = part
                outputs.append(piece)
        elif md is not None and TAG_TEXT not in tags and not _is_table(md):
            slide, prose = split_markdown(md)
            if prose:
                notes.append(prose)
                out["data"]["text/markdown"] = slide
                out["data"].pop("text/plain", None)
            outputs.append(out)
        else:
            outputs.extend(cut_figure(out))
    if not outputs and TAG_CODE not in tags:
        # nothing to show: the cell leaves the slides (its slide boundary moves to the next cell)
        return [_derived(cell, "hidden", "skip")] if slide_type(cell) in {"-", "fragment"} else [cell]
    cells = []
    for n, piece in enumerate(_output_pieces(cell, outputs)):
        part = cell if n == 0 else _derived(cell, f"part{n + 1}", "subslide")
        if n:
            part.metadata["transient"] = {"remove_source": True}
        part.outputs = piece
        cells.append(part)
    for n, text in enumerate(notes):
        cells.append(_notes_cell(cell, text, f"notes{n + 1}"))
    return cells


def cell_height(cell) -> float:
    kind = slide_type(cell)
    if kind in {"skip", "notes"}:
        return 0.0
    if cell.cell_type == "markdown":
        return markdown_height(cell.source)
    height = 0.0
    if not cell.metadata.get("transient", {}).get("remove_source"):
        height += CODE_LINE * (cell.source.count("\n") + 1) + 24
    return height + sum(output_height(o) for o in cell.get("outputs", []))


def paginate(cells: list) -> list:
    """Move a cell that would overfill its (sub)slide on to a continuation slide of its own.

    A markdown cell just before it (its caption) moves with it, unless that cell opens the slide.
    """
    height = 0.0
    shown: list = []  # the cells shown on the current (sub)slide, with their heights
    for cell in cells:
        kind = slide_type(cell)
        h = cell_height(cell)
        if kind in {"slide", "subslide"}:
            height, shown = h, [(cell, h)]
        elif kind in {"-", "fragment"}:
            if shown and height + h > BUDGET:
                caption, caption_h = shown[-1]
                if len(shown) > 1 and caption.cell_type == "markdown" and cell.cell_type == "code":
                    _set_slide_type(caption, "subslide")
                    height, shown = caption_h + h, [(caption, caption_h), (cell, h)]
                else:
                    _set_slide_type(cell, "subslide")
                    height, shown = h, [(cell, h)]
            else:
                height += h
                shown.append((cell, h))
    return cells


def layout(nb):
    """NB as the slides show it (a copy; NB is left alone)."""
    nb = copy.deepcopy(nb)
    widgets = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = widgets.get("state", {}) if isinstance(widgets, dict) else {}
    cells = []
    for cell in nb.cells:
        if slide_type(cell) == "skip":
            cells.append(cell)
        elif slide_type(cell) == "notes":
            cells.append(cell)
        elif cell.cell_type == "markdown":
            cells.extend(layout_markdown(cell))
        elif cell.cell_type == "code":
            cells.extend(layout_code(cell, state))
        else:
            cells.append(cell)
    nb.cells = paginate(cells)
    return nb


class SlideLayout(Preprocessor):
    """nbconvert preprocessor of the slide export: prose to speaker notes, code hidden, slides that fit."""

    def preprocess(self, nb, resources):
        return layout(nb), resources
