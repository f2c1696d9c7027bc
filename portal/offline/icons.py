"""The app's PNG icons, drawn at set-up from the shapes of icons/icon.svg (a house on the
portal's blue): phones that install the portal want PNGs of 192 and 512 pixels, and no
third-party image is committed. `python -m portal.offline.icons DIR`."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 92, 173)
WHITE = (255, 255, 255)
# icons/icon.svg's house, on its 32-unit grid; the maskable icon keeps it in the safe zone.
HOUSE = [(6, 16), (16, 7), (26, 16), (23, 16), (23, 25), (18, 25), (18, 19), (14, 19), (14, 25),
         (9, 25), (9, 16)]


def draw(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), BLUE)
    scale = size / 32 * 0.8
    offset = size * 0.1
    ImageDraw.Draw(image).polygon([(offset + x * scale, offset + y * scale) for x, y in HOUSE],
                                  fill=WHITE)
    return image


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(target / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main(sys.argv[1])
