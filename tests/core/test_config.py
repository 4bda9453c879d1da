"""Settings from the environment."""
from webapp import config


def test_queues_have_a_prefix_of_their_own_by_default(monkeypatch, tmp_path):
    """On a shared Redis another app's worker listens on `default`: ours are `wh-...`."""
    monkeypatch.delenv("QUEUE_PREFIX", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    queues = config.from_environment(tmp_path)["QUEUES"]
    assert queues == {"picking": "wh-picking", "packing": "wh-packing",
                      "reconciliation": "wh-reconciliation", "default": "wh-default"}


def test_the_prefix_can_be_set_or_emptied(monkeypatch, tmp_path):
    """QUEUE_PREFIX replaces it; an empty one gives the bare names."""
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("QUEUE_PREFIX", "shop2-")
    assert config.from_environment(tmp_path)["QUEUES"]["picking"] == "shop2-picking"
    monkeypatch.setenv("QUEUE_PREFIX", "")
    assert config.from_environment(tmp_path)["QUEUES"]["default"] == "default"
