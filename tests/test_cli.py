"""The `stride` command: weights list and fetch (offline fetch fails clearly, non-zero)."""

import urllib.error

import torch

from app import cli
from app.settings import get_settings


def run(monkeypatch, tmp_path, *argv):
    monkeypatch.setenv("STRIDE_WEIGHTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        get_settings.cache_clear()


def test_weights_list(monkeypatch, tmp_path, capsys):
    assert run(monkeypatch, tmp_path, "weights", "list") == 0
    out = capsys.readouterr().out
    assert "resnet18" in out and "missing: stride weights fetch resnet18" in out
    assert "lenet5" in out and "sha256" in out


def test_weights_fetch_offline_fails_with_a_clear_message(monkeypatch, tmp_path, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    assert run(monkeypatch, tmp_path, "weights", "fetch", "resnet18") == 1
    err = capsys.readouterr().err
    assert "resnet18" in err and "no network" in err
    assert run(monkeypatch, tmp_path, "weights", "fetch", "--default", "--quiet") == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_weights_fetch_unknown_name(monkeypatch, tmp_path, capsys):
    assert run(monkeypatch, tmp_path, "weights", "fetch", "nope") == 1
    assert "Unknown model" in capsys.readouterr().err
