"""The supervision domain's own tiles: the RQ queues and the handhelds."""
from flask_babel import lazy_gettext as _l

from ..supervision.tiles import register_tile
from . import devices, jobqueues


@register_tile("jobs", _l("Background jobs"), template="supervision/_tile_jobs.html",
               order=60, link="supervision.queues")
def jobs_tile():
    """Per queue: waiting, running and failed jobs; how many workers are alive."""
    queues, workers = jobqueues.tile_stats()
    return {"queues": queues, "workers": workers}


@register_tile("devices", _l("Devices"), template="supervision/_tile_devices.html",
               order=70, link="supervision.devices")
def devices_tile():
    """Live devices, scans waiting on them, and the silent ones holding scans."""
    return devices.summary()
