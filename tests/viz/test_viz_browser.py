"""The exported step player, driven in a real browser (issue 16, point 5).

Headless Chromium (Debian's ``chromium`` package; ``playwright install`` is not
needed) is driven by Playwright for Python: click next/previous, press the arrow
keys, move the slider, and check that the shown step, the highlighted node in the
picture and the gradient text change as they should, that nothing is fetched from
the network, and that a screenshot is not blank.

The test skips, saying why, only where no browser can be found or Playwright is
missing (``.ci/run`` installs both: apt ``chromium``, pip ``playwright`` in the
``dev`` extra). Set ``GLASSGRAD_CHROMIUM`` to use another Chromium binary.
"""
import io
import os
import shutil

import numpy as np
import pytest

import autograd as ag
from lecture import circuit

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CURRENT_FILL = "#fff59d"


def chromium_path():
    for candidate in (os.environ.get("GLASSGRAD_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser"),
                      shutil.which("google-chrome")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz 'dot' program is not installed (apt-get install graphviz)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found: apt-get install chromium (as .ci/run does), or set "
                    "GLASSGRAD_CHROMIUM to a Chromium binary")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


def lecture_loss():
    """The lecture's circuit, squared: L = ½ ((x + y) z)², x = 1, y = -3, z = 4."""
    x, y, z, d, f = circuit()
    loss = (f * f) * 0.5
    loss.name = "L"
    return loss, (x, y, z)


# step -> (op, upstream gradient shown): dL/dL = 1, d(f²)= ½, f = -8 gets ½·2f = -8,
# d gets -8·z = -32
EXPECTED = [("mul", "1"), ("mul", "0.5"), ("mul", "-8"), ("add", "-32")]


def state(page):
    """(current step, highlighted node's DOT name, upstream text, visible frames)."""
    return page.evaluate("""() => {
        const root = document.querySelector('.gg-player');
        const shown = [...root.querySelectorAll('.gg-frame')]
            .filter(f => getComputedStyle(f).display !== 'none');
        const frame = shown[0];
        let node = null;
        for (const g of frame.querySelectorAll('svg g.node')) {
            const shape = g.querySelector('path, polygon');
            if (shape && shape.getAttribute('fill') === '%s') {
                node = g.querySelector('title').textContent;
            }
        }
        return [root.getAttribute('data-current'), node,
                frame.querySelector('.gg-upstream').innerText.trim(), shown.length,
                frame.querySelector('.gg-step-title').innerText];
    }""" % CURRENT_FILL)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    loss, leaves = lecture_loss()
    player = ag.viz.play(loss)
    assert all(t.grad is None for t in leaves)            # play only watches
    path = tmp_path_factory.mktemp("player") / "backprop.html"
    assert player.export_html(path) == str(path)
    keys = [f"t{s.node._index}" for s in player.steps]
    return path, keys, player


def test_buttons_keys_and_slider_step_through_backprop(browser, page_file):
    path, keys, player = page_file
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(path.as_uri())
    assert len(player) == len(EXPECTED)

    def check(k):
        current, node, upstream, n_shown, title = state(page)
        assert (current, n_shown) == (str(k), 1)
        assert node == keys[k], f"step {k}: highlighted {node}, expected {keys[k]}"
        assert upstream == EXPECTED[k][1] and title.startswith(f"Step {k}:")
        assert EXPECTED[k][0] in title
    check(0)
    assert page.is_disabled(".gg-prev") and page.is_disabled(".gg-first")
    page.click(".gg-next")
    check(1)
    page.click(".gg-next")
    check(2)
    page.click(".gg-prev")
    check(1)
    page.keyboard.press("ArrowRight")
    check(2)
    page.keyboard.press("ArrowRight")
    check(3)
    assert page.is_disabled(".gg-next")
    page.keyboard.press("ArrowRight")                      # stays at the last step
    check(3)
    page.keyboard.press("ArrowLeft")
    check(2)
    page.keyboard.press("Home")
    check(0)
    page.keyboard.press("End")
    check(3)
    page.fill(".gg-slider", "1")                           # the slider fires 'input'
    check(1)
    page.click(".gg-last")
    check(3)
    # the panel shows the rule and the numbers of the step; the picture its gradients
    text = page.inner_text(".gg-frame.gg-on .gg-panel")
    assert "d(a+b)/da = 1" in text and "gradient so far" in text
    assert fetched == [path.as_uri()]                      # nothing from the network
    page.close()


def test_screenshot_is_not_blank_and_shows_the_highlight(browser, page_file, tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) "
                                                    "is needed to read the screenshot")
    path, keys, player = page_file
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(path.as_uri())
    page.click(".gg-next")
    png = page.locator(".gg-frame.gg-on .gg-picture svg").screenshot()
    (tmp_path / "frame.png").write_bytes(png)
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    height, width, _ = rgb.shape
    assert width > 150 and height > 100
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 20          # not one flat colour
    assert (rgb.sum(axis=2) < 600).mean() > 0.01                   # text and lines drawn
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    yellow = (r > 240) & (g > 230) & (b > 130) & (b < 185)
    assert yellow.sum() > 100                                      # the current node
    page.close()


def test_the_inline_player_works_without_taking_the_page_keys(browser, page_file):
    path, keys, player = page_file
    page = browser.new_page()
    page.set_content("<p>a notebook cell</p>" + player._repr_html_()
                     + player._repr_html_())               # two players on one page
    first = page.locator(".gg-player").nth(0)
    second = page.locator(".gg-player").nth(1)
    page.keyboard.press("ArrowRight")                      # nothing focused: page keys alone
    assert first.get_attribute("data-current") == "0"
    first.locator(".gg-next").click()
    assert first.get_attribute("data-current") == "1"
    assert second.get_attribute("data-current") == "0"
    first.press("ArrowRight")                              # keys go to the focused player
    assert first.get_attribute("data-current") == "2"
    assert second.get_attribute("data-current") == "0"
    page.close()


def test_without_javascript_every_step_is_shown(browser, page_file):
    path, keys, player = page_file
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    shown = page.evaluate("""() => [...document.querySelectorAll('.gg-frame')]
        .filter(f => getComputedStyle(f).display !== 'none').length""")
    assert shown == len(player)
    context.close()
