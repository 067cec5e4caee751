"""The ``/rank`` card: a PNG made with Pillow (its text twin is ``points.texts.describe``).

Rendering is CPU work (~10 ms), so handlers call :func:`render_card` in a thread.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bot.services.points import BADGES, Standing

WIDTH, HEIGHT = 800, 240
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


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ImportError):  # Pillow built without FreeType: the bitmap font
        return ImageFont.load_default()


def render_card(standing: Standing) -> bytes:
    """A PNG rank card: name, level, progress bar, rank, badges."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    big, mid, small = _font(36), _font(24), _font(18)
    draw.rectangle((0, 0, 12, HEIGHT), fill=ACCENT)
    draw.text((40, 28), standing.name[:32], font=big, fill=TEXT)
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
    x = 40
    for badge in dict.fromkeys(standing.badges):  # each kind once, in order earned
        colour = BADGE_COLOURS.get(badge, MUTED)
        draw.ellipse((x, 184, x + 36, 220), fill=colour)
        draw.text((x + 18, 202), BADGES.get(badge, badge)[:1], font=small, fill=BACKGROUND,
                  anchor="mm")
        x += 46
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
