"""The ``/rank`` card: a PNG made with Pillow (its text twin is ``points.texts.describe``).

Names are drawn in any script: each run of a name goes to the first font of the
:mod:`bot.render.fonts` chain that has its characters (colour emoji are drawn at their
bitmap size and scaled). Badges are distinct icons with their short names. Rendering is
CPU work (~10 ms), so handlers call :func:`render_card` in a thread.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont, features

from bot.render import fonts
from bot.services.points import BADGE_LABELS, Standing

WIDTH, HEIGHT = 800, 290
BACKGROUND = (30, 33, 40)
ACCENT = (88, 166, 255)
TRACK = (60, 64, 74)
TEXT = (235, 237, 240)
MUTED = (160, 166, 178)
BADGE_COLOURS = {
    "first_event": (111, 207, 151), "five_events": (39, 174, 96),
    "first_solve": (242, 201, 76), "first_blood": (235, 87, 87),
    "streak": (242, 153, 74), "weekly_top3": (187, 107, 217),
    "weekly_winner": (255, 215, 0),
}
BADGE_SLOT = 104
NAME_SIZES = (36, 30, 24, 20)
NAME_RIGHT = 500  # where the rank and level begin
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def _font(face: fonts.Face | None, size: int) -> Font:
    """A face of the chain at ``size`` (shaped by raqm where Pillow has it)."""
    if face is None:
        try:
            return ImageFont.load_default(size=size)
        except (OSError, ImportError):  # Pillow built without FreeType: the bitmap font
            return ImageFont.load_default()
    layout = (ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC)
    return ImageFont.truetype(str(face.path), EMOJI_SIZE if face.colour else size,
                              layout_engine=layout)


EMOJI_SIZE = fonts.EMOJI_STRIKE


def draw_text(image: Image.Image, xy: tuple[int, int], text: str, size: int,
              fill: tuple[int, int, int]) -> int:
    """Draw ``text`` from its left baseline ``xy`` with font fallback; returns the end x."""
    draw = ImageDraw.Draw(image)
    x, baseline = xy
    for run, face in fonts.runs(text):
        font = _font(face, size)
        if face is not None and face.colour:
            x = _paste_emoji(image, run, font, x, baseline, size)
            continue
        draw.text((x, baseline), run, font=font, fill=fill, anchor="ls")
        x += math.ceil(draw.textlength(run, font=font))
    return x


def _paste_emoji(image: Image.Image, run: str, font: Font, x: int, baseline: int,
                 size: int) -> int:
    """Colour emoji: drawn at the font's one bitmap strike, scaled to the text size."""
    probe = ImageDraw.Draw(image)
    width = math.ceil(probe.textlength(run, font=font)) or EMOJI_SIZE
    tile = Image.new("RGBA", (width, int(EMOJI_SIZE * 1.25)), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((0, 0), run, font=font, embedded_color=True)
    box = tile.getbbox()
    if box is None:
        return x
    tile = tile.crop(box)
    scale = size / EMOJI_SIZE
    tile = tile.resize((max(1, int(tile.width * scale)), max(1, int(tile.height * scale))),
                       Image.Resampling.LANCZOS)
    image.paste(tile, (x, baseline - tile.height + int(size * 0.12)), tile)
    return x + tile.width + 2


def _fit(text: str, limit: int) -> str:
    """At most ``limit`` characters, never cutting a combining mark from its letter."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + "…"


def render_card(standing: Standing) -> bytes:
    """A PNG rank card: name, level, progress bar, rank, badges."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    mid, small = _font(fonts.face_for("R"), 24), _font(fonts.face_for("0"), 18)
    draw.rectangle((0, 0, 12, HEIGHT), fill=ACCENT)
    name, scratch = _fit(standing.name, 32), Image.new("RGB", (WIDTH * 2, 100))
    size = next((s for s in NAME_SIZES if draw_text(scratch, (40, 62), name, s, TEXT)
                 <= NAME_RIGHT), NAME_SIZES[-1])  # shrink a long name, not overlap the rank
    draw_text(image, (40, 62), name, size, TEXT)
    rank = f"RANK #{standing.rank}" if standing.rank else "UNRANKED"
    draw.text((WIDTH - 40, 30), f"{rank}   LEVEL {standing.level}", font=mid, fill=ACCENT,
              anchor="ra")
    draw.text((40, 86), f"{standing.points} points · {standing.week_points} this week",
              font=small, fill=MUTED)
    left, top, right, bottom = 40, 126, WIDTH - 40, 156
    draw.rounded_rectangle((left, top, right, bottom), radius=15, fill=TRACK)
    share = standing.into_level / standing.level_size if standing.level_size else 0.0
    filled = left + int((right - left) * max(0.0, min(1.0, share)))
    if filled > left + 30:
        draw.rounded_rectangle((left, top, filled, bottom), radius=15, fill=ACCENT)
    draw.text((right, bottom + 8), f"{standing.into_level} / {standing.level_size} XP",
              font=small, fill=MUTED, anchor="ra")
    label = _font(fonts.face_for("a"), 13)
    for slot, badge in enumerate(dict.fromkeys(standing.badges)):  # each kind once
        x = 40 + slot * BADGE_SLOT
        if x + BADGE_SLOT > WIDTH:
            break
        centre = (x + BADGE_SLOT // 2 - 6, 214)
        ICONS.get(badge, _medal)(draw, centre, BADGE_COLOURS.get(badge, MUTED))
        draw.text((centre[0], 252), BADGE_LABELS.get(badge, badge.replace("_", " ")),
                  font=label, fill=MUTED, anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# -- badge icons: a distinct shape for each kind, drawn around a centre ----------------------

Icon = Callable[[ImageDraw.ImageDraw, tuple[int, int], tuple[int, int, int]], None]
R = 20  # icon radius


def _calendar(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int],
              days: int = 1) -> None:
    x, y = c
    draw.rounded_rectangle((x - R, y - R + 4, x + R, y + R), radius=5, fill=colour)
    draw.rectangle((x - R, y - R + 4, x + R, y - R + 13), fill=BACKGROUND)
    draw.rectangle((x - R + 1, y - R + 5, x + R - 1, y - R + 12), fill=colour)
    for i in range(days):
        cx = x - 12 + (i % 3) * 12
        cy = y + 2 + (i // 3) * 10
        draw.rectangle((cx - 3, cy - 3, cx + 3, cy + 3), fill=BACKGROUND)


def _five(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    _calendar(draw, c, colour, days=5)


def _check(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    x, y = c
    draw.ellipse((x - R, y - R, x + R, y + R), fill=colour)
    draw.line([(x - 10, y), (x - 3, y + 8), (x + 11, y - 8)], fill=BACKGROUND, width=5)


def _drop(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    x, y = c
    draw.polygon([(x, y - R), (x + 14, y + 2), (x - 14, y + 2)], fill=colour)
    draw.ellipse((x - 14, y - 8, x + 14, y + R), fill=colour)


def _flame(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    x, y = c
    draw.polygon([(x - 14, y + R), (x - 16, y), (x - 6, y - 10), (x - 2, y - R),
                  (x + 6, y - 8), (x + 10, y - 14), (x + 16, y + 2), (x + 14, y + R)],
                 fill=colour)
    draw.polygon([(x - 6, y + R), (x - 7, y + 8), (x, y - 2), (x + 7, y + 8), (x + 6, y + R)],
                 fill=BACKGROUND)


def _podium(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    x, y = c
    draw.rectangle((x - 6, y - R, x + 6, y + R), fill=colour)
    draw.rectangle((x - R, y - 6, x - 8, y + R), fill=colour)
    draw.rectangle((x + 8, y + 2, x + R, y + R), fill=colour)


def _star(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    x, y = c
    points = []
    for i in range(10):
        radius = R if i % 2 == 0 else R * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append((x + radius * math.cos(angle), y - radius * math.sin(angle)))
    draw.polygon(points, fill=colour)


def _medal(draw: ImageDraw.ImageDraw, c: tuple[int, int], colour: tuple[int, int, int]) -> None:
    x, y = c
    draw.ellipse((x - R, y - R, x + R, y + R), outline=colour, width=5)


ICONS: dict[str, Icon] = {
    "first_event": _calendar, "five_events": _five, "first_solve": _check,
    "first_blood": _drop, "streak": _flame, "weekly_top3": _podium, "weekly_winner": _star,
}
