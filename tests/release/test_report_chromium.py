"""Render the HTML report in headless Chromium: every section and image shows, offline.

Skipped when no Chromium binary is installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import base64
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sensequant.release.report import SECTIONS, write_report
from tests.release.test_report import make_run_dir, parse

pytestmark = pytest.mark.chromium

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE_SECTIONS = (
    "equity",
    "underwater",
    "rolling",
    "ic",
    "deciles",
    "importance",
    "trials",
    "stress",
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    pytest.skip("Chromium not installed (apt-get install -y chromium) - report not rendered")


def _run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", f"--user-data-dir={profile}",
    ]  # fmt: skip
    return subprocess.run(
        [binary, *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC, "not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return width, height


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    binary = _chromium()
    root = tmp_path_factory.mktemp("chromium")
    report = write_report(make_run_dir(root))
    return binary, report, root


def test_dom_has_every_section_and_image(rendered: tuple[str, Path, Path]) -> None:
    binary, report, root = rendered
    proc = _run(binary, root / "profile-dom", "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = parse(proc.stdout)
    assert doc.order == [sid for sid, _ in SECTIONS]
    for sid, title in SECTIONS:
        assert doc.text[sid].replace(title, "", 1).strip(), f"section {sid} empty in the DOM"
    for sid in IMAGE_SECTIONS:
        assert doc.imgs[sid] or doc.svgs[sid], f"no image in section {sid}"
        for src in doc.imgs[sid]:
            head, _, payload = src.partition(",")
            assert head == "data:image/png;base64"
            width, height = _png_size(base64.b64decode(payload))
            assert width > 300 and height > 100


def test_screenshot_is_a_non_blank_png(rendered: tuple[str, Path, Path]) -> None:
    from matplotlib import image

    binary, report, root = rendered
    shot = root / "report.png"
    proc = _run(
        binary, root / "profile-shot", f"--screenshot={shot}", "--window-size=1200,8000",
        report.as_uri(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1200, 8000)
    pixels = np.asarray(image.imread(str(shot)))[..., :3]
    assert pixels.std() > 0.05  # text, tables and plots, not a blank page
    assert (pixels.mean(axis=2) < 0.3).mean() > 0.002  # some dark (text) pixels
