"""Fonts for every script: a fallback chain found on disk, never downloaded at run time.

The chain comes from the OS install step (``make system-deps`` installs Debian's
``fonts-noto-core``, ``fonts-noto-cjk``, ``fonts-noto-color-emoji`` and ``fonts-symbola``)
with matplotlib's own DejaVu Sans as the floor, so a machine without them still draws
Latin, Greek and Cyrillic. Pillow has no fallback of its own: :func:`runs` splits a text
into pieces each drawn with the first font that has its characters (read from the font's
cmap), and matplotlib gets the same chain as a family list.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# File names in fallback order: Latin/Greek/Cyrillic, Arabic, Hebrew, Devanagari, CJK,
# colour emoji (Pillow only), outline emoji and symbols (matplotlib too), DejaVu last.
CHAIN = (
    "NotoSans-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoColorEmoji.ttf",
    "Symbola_hint.ttf",
    "DejaVuSans.ttf",
)
COLOUR_EMOJI = "NotoColorEmoji.ttf"
EMOJI_STRIKE = 109  # the one bitmap size Noto Color Emoji has
_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/usr/share/fonts-noto",
         "~/.local/share/fonts", "~/.fonts")


@dataclass(frozen=True, slots=True)
class Face:
    """One font file of the chain and the code points it draws."""

    path: Path
    name: str
    codepoints: frozenset[int]

    @property
    def colour(self) -> bool:
        """A bitmap colour font (drawn at its one strike and scaled)."""
        return self.name == COLOUR_EMOJI


def _search_dirs() -> list[Path]:
    dirs = [Path(os.path.expanduser(d)) for d in _DIRS]
    try:
        import matplotlib

        dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    return [d for d in dirs if d.is_dir()]


@functools.cache
def chain() -> tuple[Face, ...]:
    """The fonts of :data:`CHAIN` found on this machine, in order (cached)."""
    found: dict[str, Path] = {}
    for directory in _search_dirs():
        for root, _, files in os.walk(directory):
            for name in files:
                if name in CHAIN and name not in found:
                    found[name] = Path(root) / name
    faces = []
    for name in CHAIN:
        if name in found:
            faces.append(Face(found[name], name, _codepoints(found[name])))
    return tuple(faces)


def _codepoints(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=0, lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return frozenset(cmap)


def face_for(char: str, faces: tuple[Face, ...] | None = None) -> Face | None:
    """The first font of the chain that has ``char`` (None when none has it)."""
    for face in faces if faces is not None else chain():
        if ord(char) in face.codepoints:
            return face
    return None


def runs(text: str) -> Iterator[tuple[str, Face | None]]:
    """``text`` cut into runs that one font draws; marks and joiners stay with their base."""
    current: list[str] = []
    current_face: Face | None = None
    for char in text:
        joins = (unicodedata.combining(char) or char in "\u200d\ufe0e\ufe0f"
                 or (unicodedata.category(char) == "Sk" and current_face is not None
                 and current_face.colour))
        face = current_face if (joins and current) else face_for(char)
        if current and face is not current_face:
            yield "".join(current), current_face
            current = []
        current.append(char)
        current_face = face
    if current:
        yield "".join(current), current_face


@functools.cache
def matplotlib_families() -> tuple[str, ...]:
    """Register the scalable fonts of the chain with matplotlib; its family fallback list."""
    from matplotlib import font_manager

    families: list[str] = []
    for face in chain():
        if face.colour:
            continue  # bitmap-only: matplotlib draws outlines (Symbola covers emoji)
        try:
            font_manager.fontManager.addfont(str(face.path))
            family = font_manager.FontProperties(fname=str(face.path)).get_name()
        except (RuntimeError, NotImplementedError, OSError):
            continue
        if family not in families:
            families.append(family)
    return tuple(families) or ("DejaVu Sans",)
