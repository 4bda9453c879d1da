"""The offline shells: the page each flow's handheld opens when the network is gone.

A flow that works offline registers its shell here once (`register_shell`), next to
its views, as it registers its scan actions with sync: the service worker's config
(`pwa.views.worker_config`) is built from this list, so a new flow adds its shell
without an edit in pwa. The picking shell is the default (`DEFAULT`): a page under
no registered prefix opens it.
"""
from dataclasses import dataclass, field

from flask import url_for

DEFAULT = "pwa.offline_picking"


@dataclass(frozen=True)
class Shell:
    """The shell's endpoint and, optionally, the pages it stands in for: `under` is an
    endpoint whose URL is the prefix (with `values`, the URL without its last segment,
    for a page that is always opened with an id, e.g. /putaway/<id>)."""

    endpoint: str
    under: str | None = None
    values: dict = field(default_factory=dict)

    def prefix(self):
        url = url_for(self.under, **self.values)
        return url.rsplit("/", 1)[0] if self.values else url


_SHELLS: dict[str, Shell] = {}


def register_shell(endpoint, under=None, **values):
    """Declare a flow's offline shell (precached at install, refreshed when visited)."""
    shell = Shell(endpoint, under, values)
    if _SHELLS.get(endpoint, shell) != shell:
        raise ValueError(f"offline shell {endpoint!r} is registered twice")
    _SHELLS[endpoint] = shell


def shell_urls():
    """The URL of every shell, the default first."""
    return [url_for(DEFAULT)] + [url_for(s.endpoint) for s in _SHELLS.values()
                                 if s.endpoint != DEFAULT]


def prefixes():
    """[prefix, shell URL] pairs, the longest prefix first: the most specific wins."""
    pairs = [[s.prefix(), url_for(s.endpoint)] for s in _SHELLS.values() if s.under]
    return sorted(pairs, key=lambda pair: -len(pair[0]))
