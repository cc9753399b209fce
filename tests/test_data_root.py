"""Paths typed in the app are read only under the data root (IL2_DATA_ROOT; issue 12)."""

from __future__ import annotations

import pytest

from dashboard.errors import MonitorUserError
from dashboard.settings import data_root, path_in_data_root


def test_a_relative_or_absolute_path_under_the_root_is_read(tmp_path):
    (tmp_path / "ward").mkdir()
    assert path_in_data_root("ward", tmp_path) == tmp_path / "ward"
    assert path_in_data_root(str(tmp_path / "ward"), tmp_path) == tmp_path / "ward"
    assert path_in_data_root(str(tmp_path), tmp_path) == tmp_path


@pytest.mark.parametrize("typed", ["/etc", "..", "ward/../../x", "/etc/passwd"])
def test_a_path_leaving_the_root_is_refused(tmp_path, typed):
    (tmp_path / "ward").mkdir()
    with pytest.raises(MonitorUserError, match="is not under the data folder"):
        path_in_data_root(typed, tmp_path / "ward")


def test_a_symlink_leaving_the_root_is_refused(tmp_path):
    (tmp_path / "inside").symlink_to("/etc")
    with pytest.raises(MonitorUserError, match="is not under the data folder"):
        path_in_data_root("inside", tmp_path)


def test_the_root_defaults_to_the_shipped_demo_and_follows_the_setting(monkeypatch, tmp_path):
    from dashboard import DEMO_DIR

    monkeypatch.delenv("IL2_DATA_ROOT", raising=False)
    assert data_root() == DEMO_DIR.resolve()
    monkeypatch.setenv("IL2_DATA_ROOT", str(tmp_path))
    assert data_root() == tmp_path.resolve()


def test_a_link_to_a_device_inside_the_root_is_refused(tmp_path):
    (tmp_path / "observations.csv").symlink_to("/dev/zero")
    with pytest.raises(MonitorUserError, match="is not under the data folder"):
        path_in_data_root("observations.csv", tmp_path)


def test_a_socket_or_a_fifo_under_the_root_is_refused_without_reading(tmp_path):
    import os
    import socket

    from dashboard.loading import load_ward

    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "patients.csv"))
    os.mkfifo(tmp_path / "doses.csv")  # nobody writes: a blocking read would hang the test
    try:
        for name in ("patients.csv", "doses.csv"):
            inside = path_in_data_root(name, tmp_path)  # under the root: the reader decides
            with pytest.raises(MonitorUserError, match=r"not a regular file|cannot be read"):
                load_ward(inside, "UTC")
    finally:
        listening.close()
