from __future__ import annotations

import pytest

from idp.naming import FUNCTIONS
from idp_common.settings import SETTINGS_BY_FUNCTION, ApiSettings, SettingsError, StatusSettings
from tests.conftest import REPO_ROOT


def test_every_function_folder_has_a_settings_model() -> None:
    folders = {p.parent.name for p in (REPO_ROOT / "lambdas").glob("*/app.py")}
    assert folders == set(SETTINGS_BY_FUNCTION) == set(FUNCTIONS)


def test_missing_and_invalid_variables_are_named() -> None:
    with pytest.raises(SettingsError) as caught:
        StatusSettings.from_env({"DOCUMENTS_TABLE": "t", "CALLBACK_TIMEOUT_SECONDS": "99"})
    message = str(caught.value)
    assert "CALLBACK_SECRET_ID: Field required" in message
    assert "CALLBACK_TIMEOUT_SECONDS" in message


def test_values_are_parsed_from_strings() -> None:
    env = dict.fromkeys(ApiSettings.env_names(), "x")
    env |= {"UPLOAD_EXPIRY_SECONDS": "900", "RESULT_URL_EXPIRY_SECONDS": "600", "CALLBACK_ALLOW_HTTP_LOOPBACK": "false"}
    settings = ApiSettings.from_env(env)
    assert settings.upload_expiry_seconds == 900
