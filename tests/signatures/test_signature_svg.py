"""The signature sanitiser: what a pad draws is kept, anything that could act is refused."""
import pytest

from webapp.signatures.svg import MAX_BYTES, SignatureRejected, clean_svg

from signature_cases import pad_svg_text

PAD_SVG = pad_svg_text()


def refused(svg):
    """The message clean_svg refuses svg with."""
    with pytest.raises(SignatureRejected) as error:
        clean_svg(svg)
    return str(error.value)


def test_a_pad_drawing_is_kept_with_its_geometry(app):
    clean = clean_svg(PAD_SVG)
    assert clean.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'd="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250"' in clean
    assert 'viewBox="0 0 336 176"' in clean and "<circle" in clean and "<line" in clean
    assert clean_svg(clean) == clean  # stable: cleaning twice changes nothing


def test_a_drawing_of_paths_only_is_a_signature(app):
    only_paths = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                  '<path d="M 1,1 C 2,2 3,3 4,4" stroke="#000"></path></svg>')
    assert 'd="M 1,1 C 2,2 3,3 4,4"' in clean_svg(only_paths)


def test_script_element_is_refused(app):
    svg = PAD_SVG.replace("</svg>", "<script>alert(1)</script></svg>")
    assert "script" in refused(svg)


def test_event_handler_attributes_are_refused(app):
    assert "onload" in refused(PAD_SVG.replace("<svg ", '<svg onload="alert(1)" ', 1))
    assert "onclick" in refused(PAD_SVG.replace("<path ", '<path onclick="x()" ', 1))


def test_links_and_external_references_are_refused(app):
    xlink = PAD_SVG.replace("<path ", '<path xlink:href="http://evil.example/x" ', 1)
    assert "href" in refused(xlink)
    use = PAD_SVG.replace("</svg>", '<use href="#a"/></svg>')
    assert "use" in refused(use)
    image = PAD_SVG.replace("</svg>", '<image href="http://evil.example/t.png"/></svg>')
    assert "image" in refused(image)
    foreign = PAD_SVG.replace("</svg>", "<foreignObject><div>x</div></foreignObject></svg>")
    assert "foreignObject" in refused(foreign)
    css_url = PAD_SVG.replace('fill="none"', 'fill="url(http://evil.example/#p)"', 1)
    assert "fill" in refused(css_url)
    style = PAD_SVG.replace("<path ", '<path style="background:url(http://e/x)" ', 1)
    assert "style" in refused(style)


def test_other_namespaces_are_refused(app):
    html = PAD_SVG.replace("</svg>", '<h:script xmlns:h="http://www.w3.org/1999/xhtml">'
                                     "alert(1)</h:script></svg>")
    assert refused(html)


def test_entities_and_billion_laughs_are_refused(app):
    laughs = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                        for i in range(8))
              + ']><svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 L1 1">&i;</path></svg>')
    assert "could not be read" in refused(laughs)
    external = ('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                '<svg xmlns="http://www.w3.org/2000/svg"><desc>&x;</desc></svg>')
    assert "could not be read" in refused(external)


def test_huge_input_is_refused_before_parsing(app):
    path = '<path d="M 1,1 L 2,2" stroke="black"/>'
    huge = ('<svg xmlns="http://www.w3.org/2000/svg">' + path * (MAX_BYTES // len(path) + 1)
            + "</svg>")
    assert "too large" in refused(huge)


def test_empty_drawings_are_refused_with_a_clear_message(app):
    for empty in ("", "   ", None,
                  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>',
                  '<svg xmlns="http://www.w3.org/2000/svg"><g><path d=""/></g></svg>'):
        assert refused(empty) == "Please sign in the box first."


def test_not_svg_and_malformed_are_refused(app):
    assert "could not be read" in refused("<html><body>hi</body></html>")
    assert "could not be read" in refused("<svg><path d='M0 0'")
    assert "could not be read" in refused("data:image/png;base64,AAAA")


def test_unknown_harmless_attributes_are_dropped(app):
    svg = PAD_SVG.replace("<path ", '<path id="p1" class="c" data-x="1" ', 1)
    clean = clean_svg(svg)
    assert "id=" not in clean and "class=" not in clean and "data-x" not in clean
