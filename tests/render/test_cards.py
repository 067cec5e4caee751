"""Rank cards draw names in every script and badges as distinct icons (#13.7).

The fonts come from the OS install step (``make system-deps``); these tests need them.
"""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image, ImageChops

from bot.render import fonts
from bot.render.cards import BACKGROUND, BADGE_SLOT, render_card
from bot.services.points import BADGES, Standing

NAMES = {
    "accents": ("Zoë Ærøskøbing", "Åsa Ñúñez-Çelik"),
    "cyrillic": ("Дмитрий", "Людмила"),
    "cjk": ("李小龍", "東京都"),
    "hangul": ("김민준", "이서연"),
    "arabic": ("محمد", "فاطمة"),
    "emoji": ("🎉🎉", "🚀🚀"),
}


def standing(name: str = "maya", badges: tuple[str, ...] = ()) -> Standing:
    return Standing(member_id=1, name=name, points=120, balance=120, level=2, into_level=20,
                    level_size=100, rank=3, ranked=10, week_points=15, badges=badges,
                    streak=0)


def image(name: str = "maya", badges: tuple[str, ...] = ()) -> Image.Image:
    return Image.open(io.BytesIO(render_card(standing(name, badges)))).convert("RGB")


def pixels(area: Image.Image) -> list[tuple[int, int, int]]:
    return [area.getpixel((x, y)) for x in range(area.width) for y in range(area.height)]


def name_area(card: Image.Image) -> Image.Image:
    return card.crop((30, 10, 480, 80))  # left of the rank and level


def test_the_font_chain_comes_from_the_os_not_the_network():
    names = [f.name for f in fonts.chain()]
    assert "NotoSans-Regular.ttf" in names and "NotoSansCJK-Regular.ttc" in names
    assert all(str(f.path).startswith(("/usr/", str(__import__("matplotlib").get_data_path())))
               for f in fonts.chain())


@pytest.mark.parametrize("script", list(NAMES))
def test_every_character_of_a_name_has_a_font(script: str):
    for name in NAMES[script]:
        assert all(fonts.face_for(ch) is not None for ch in name if not ch.isspace()), name


@pytest.mark.parametrize("script", list(NAMES))
def test_names_in_every_script_are_drawn_not_boxes(script: str):
    """Two different names of one script draw differently (missing glyphs are all one box)."""
    first, second = (name_area(image(n)) for n in NAMES[script])
    assert ImageChops.difference(first, second).getbbox() is not None
    blank = name_area(image(""))
    assert ImageChops.difference(first, blank).getbbox() is not None


def test_emoji_are_drawn_in_colour():
    area = name_area(image("maya 🎉"))
    colours = {px for px in pixels(area) if max(px) - min(px) > 80}  # saturated pixels
    assert len(colours) > 20
    plain = {px for px in pixels(name_area(image("maya"))) if max(px) - min(px) > 80}
    assert plain == set()


def test_badges_are_distinct_icons_with_their_names():
    badges = tuple(BADGES)
    card = image("maya", badges)
    masks = []
    for slot in range(len(badges)):
        x = 40 + slot * BADGE_SLOT
        icon = card.crop((x, 190, x + BADGE_SLOT - 12, 238))
        # The shape alone (any colour that is not the background): icons differ by form.
        ink = ImageChops.difference(icon, Image.new("RGB", icon.size, BACKGROUND)).convert("L")
        masks.append(Image.eval(ink, lambda v: 255 if v > 30 else 0))
        label = card.crop((x, 250, x + BADGE_SLOT - 12, 270))
        assert ImageChops.difference(label, Image.new("RGB", label.size, BACKGROUND)).getbbox()
    for a, b in itertools.combinations(range(len(badges)), 2):
        assert ImageChops.difference(masks[a], masks[b]).getbbox() is not None, (
            badges[a], badges[b])
