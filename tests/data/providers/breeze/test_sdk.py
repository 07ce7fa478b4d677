"""Tests of the lazy SDK loader and the read-only wrapper (the SDK import is never completed)."""

from __future__ import annotations

import ast
import importlib.util
import logging
import socket
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from sensequant.data.providers.breeze import (
    ALLOWED_METHODS,
    FORBIDDEN_METHODS,
    BreezeReadOnly,
    load_sdk,
    redact,
)
from sensequant.data.providers.breeze import sdk as breeze_sdk
from sensequant.errors import ProviderUnavailableError
from sensequant.settings import Settings


class EverythingSDK:
    """A fake exposing every SDK method name; records what is called."""

    def __init__(self) -> None:
        self.called: list[str] = []
        self.user_id = "U1"
        self.session_key = "SESSIONKEY123"

    def __getattr__(self, name: str) -> Any:
        def method(*args: Any, **kwargs: Any) -> Any:
            self.called.append(name)
            return {"Success": [], "Status": 200, "Error": None, "kw": kwargs}

        return method


def _sdk_methods() -> set[str]:
    spec = importlib.util.find_spec("breeze_connect")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("breeze-connect not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "breeze_connect.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "BreezeConnect")
    return {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_lists_match_the_real_sdk_source() -> None:
    methods = _sdk_methods()  # parsed, not imported
    assert set(ALLOWED_METHODS) <= methods
    assert set(FORBIDDEN_METHODS) <= methods
    assert not set(ALLOWED_METHODS) & set(FORBIDDEN_METHODS)


def test_wrapper_exposes_only_the_allowlist() -> None:
    sdk = EverythingSDK()
    wrapper = BreezeReadOnly(sdk)
    for name in (*FORBIDDEN_METHODS, "get_funds", "get_portfolio_holdings", "ws_connect"):
        assert not hasattr(wrapper, name), name
    public = {n for n in dir(wrapper) if not n.startswith("_")}
    assert public == set(ALLOWED_METHODS)
    assert "__getattr__" not in vars(BreezeReadOnly)
    # no public attribute hands the raw SDK back (it sits in a name-mangled private slot)
    assert all(getattr(wrapper, n) is not sdk for n in public)
    assert not hasattr(wrapper, "__dict__")
    assert "sdk" not in repr(wrapper).replace("<sdk>", "")
    with pytest.raises(AttributeError):
        wrapper.place_order = lambda: None  # type: ignore[attr-defined]
    assert sdk.called == []


def test_wrapper_forwards_market_data_calls() -> None:
    sdk = EverythingSDK()
    wrapper = BreezeReadOnly(sdk)
    hidden = wrapper.generate_session("secret", "token")
    assert "SESSIONKEY123" in hidden
    assert any(v != "SESSIONKEY123" for v in hidden)  # the base64 session header
    args = dict(
        interval="1day",
        from_date="a",
        to_date="b",
        stock_code="RELIND",
        exchange_code="NSE",
        product_type="cash",
    )
    assert wrapper.get_historical_data_v2(**args)["kw"] == args
    wrapper.get_historical_data(**args)
    wrapper.get_quotes("RELIND", "NSE")
    assert sdk.called == [
        "generate_session",
        "get_historical_data_v2",
        "get_historical_data",
        "get_quotes",
    ]


def test_redact_replaces_plain_and_quoted_forms() -> None:
    text = "k=abc/def+ghi u=abc%2Fdef%2Bghi t=xyzw short=ab"
    out = redact(text, ["abc/def+ghi", "xyzw", "ab", ""])
    assert out == "k=*** u=*** t=*** short=ab"


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(_env_file=None, home=tmp_path / "home", **kw)


def test_foreign_config_module_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    foreign = types.ModuleType("config")
    foreign.__file__ = str(tmp_path / "config.py")
    monkeypatch.setitem(sys.modules, "config", foreign)
    with pytest.raises(ProviderUnavailableError, match="'config'") as info:
        load_sdk(_settings(tmp_path))
    assert "rename" in (info.value.hint or "")
    assert sys.modules["config"] is foreign


def test_sdk_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "breeze_connect" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ProviderUnavailableError) as info:
        load_sdk(_settings(tmp_path))
    assert "pip install 'sensequant[breeze]'" in (info.value.hint or "")


def test_offline_import_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's import-time download fails (closed local port): a clear error, no litter."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(
        tmp_path,
        breeze_security_master_url=f"http://127.0.0.1:{port}/SecurityMaster.zip",
        fetch_deadline_s=5.0,
    )
    if "config" in sys.modules:
        monkeypatch.setitem(sys.modules, "config", sys.modules["config"])
    else:
        monkeypatch.delitem(sys.modules, "config", raising=False)
    monkeypatch.delitem(sys.modules, breeze_sdk._SDK_MODULE, raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    path_before, timeout_before = list(sys.path), socket.getdefaulttimeout()
    with pytest.raises(ProviderUnavailableError, match="security master") as info:
        load_sdk(settings)
    assert "internet" in (info.value.hint or "")
    assert Path.cwd() == cwd
    assert not (cwd / "logs").exists()  # the SDK's log folder went to the cache
    assert (settings.cache_dir / "breeze" / "logs").is_dir()
    assert sys.path == path_before
    assert socket.getdefaulttimeout() == timeout_before
    assert breeze_sdk._SDK_MODULE not in sys.modules
    assert settings.breeze_security_master_url == sys.modules["config"].SECURITY_MASTER_URL
    for name in ("APILogger", "WebsocketLogger"):
        log = logging.getLogger(name)
        assert not any(isinstance(h, logging.FileHandler) for h in log.handlers)
        assert log.propagate is False
        assert log.level == logging.WARNING
