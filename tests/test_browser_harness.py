"""The browser harness (tests/browser.py) must be able to fail.

Each test builds a tiny page in tmp_path that is broken in one way and checks
that check_page notices; the good page shows it does not cry wolf.
"""

import base64
import io

import pytest

import browser
from browser import check_page, require_chromium


def _chart_png(values: list[float]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
    ax.plot(values)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _page(tmp_path, body: str, head: str = ""):
    path = tmp_path / "report.html"
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>Test report</title>{head}</head>\n<body>{body}</body></html>\n",
        encoding="utf-8",
    )
    return path


def _img(b64: str) -> str:
    return f'<img alt="chart" src="data:image/png;base64,{b64}">'


def test_good_page_passes(tmp_path):
    require_chromium()
    html = _page(tmp_path, "<h1>Run</h1>" + _img(_chart_png([1, 3, 2]))
                 + _img(_chart_png([2, 1, 4])))
    check = check_page(html, tmp_path / "browser")
    assert check.errors == []
    assert (check.images, check.rendered) == (2, 2)
    assert check.title == "Test report"
    assert check.screenshot.is_file() and not check.blank
    assert check.ok


def test_broken_image_is_caught(tmp_path):
    require_chromium()
    good = _chart_png([1, 2, 3])
    broken = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 200).decode()
    html = _page(tmp_path, _img(good) + _img(broken))
    check = check_page(html, tmp_path / "browser")
    assert check.images == 2
    assert check.rendered == 1
    assert any("failed to load <img>" in e for e in check.errors), check.errors
    assert not check.ok


def test_script_exception_is_caught(tmp_path):
    require_chromium()
    html = _page(tmp_path, "<p>text</p><script>throw new Error('boom')</script>")
    check = check_page(html, tmp_path / "browser")
    assert any("boom" in e for e in check.errors), check.errors


def test_console_error_is_caught(tmp_path):
    require_chromium()
    html = _page(tmp_path, "<p>text</p><script>console.error('x')</script>")
    check = check_page(html, tmp_path / "browser")
    assert "console.error: x" in check.errors


def test_late_error_and_rejection_are_caught(tmp_path):
    # Errors after 'load' (timers) and unhandled promise rejections count too.
    require_chromium()
    html = _page(tmp_path, "<script>setTimeout(function () {"
                 " throw new Error('late') }, 2000);"
                 " Promise.reject(new Error('nope'));</script>")
    check = check_page(html, tmp_path / "browser")
    assert any("late" in e for e in check.errors), check.errors
    assert any("nope" in e for e in check.errors), check.errors


def test_missing_and_external_resources_are_caught(tmp_path):
    # A report must embed everything: a file next to it or a URL both fail.
    require_chromium()
    (tmp_path / "chart.png").write_bytes(base64.b64decode(_chart_png([1, 2])))
    html = _page(tmp_path, '<img src="chart.png">'
                 '<img src="https://example.com/chart.png">')
    check = check_page(html, tmp_path / "browser")
    assert (check.images, check.rendered) == (2, 0)
    assert len([e for e in check.errors if "failed to load <img>" in e]) == 2


def test_blank_page_is_blank(tmp_path):
    require_chromium()
    check = check_page(_page(tmp_path, ""), tmp_path / "browser")
    assert check.blank and check.images == 0 and check.errors == []


@pytest.mark.parametrize("ci", ["true", "TRUE", "", "false"])
def test_missing_chromium_skips_only_outside_ci(monkeypatch, ci):
    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci.lower() == "true" else pytest.skip.Exception
    with pytest.raises(expected):
        require_chromium()
