"""A drawing as signature_pad writes it, shared by the signature tests."""


def pad_svg_text():
    """What signature_pad 5's toSVG() writes (trimmed): curve paths, a dot and a line."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'viewBox="0 0 336 176" width="336" height="176">'
        '<path d="M 20.000,40.000 C 25.100,42.300 30.000,45.000 35.500,50.250" stroke-width="3.120" '
        'stroke="#0d1117" fill="none" stroke-linecap="round"></path>'
        '<circle r="2" cx="100" cy="60" fill="#0d1117"></circle>'
        '<line x1="1" y1="2" x2="3" y2="4" stroke="black" stroke-width="2" stroke-linecap="round">'
        '</line></svg>')
