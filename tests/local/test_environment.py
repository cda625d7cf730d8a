"""The handlers' environment: region, credentials, endpoint, and wsgen.toml's [environment]."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import websockets

from tests.support.local import run
from wsgen.cli import main
from wsgen.exceptions import ConfigError
from wsgen.local import EventLog, running
from wsgen.local.environment import (
    EnvironmentChanges,
    apply_app_environment,
    check_profile,
    has_credentials,
    prepare_environment,
    pseudo_parameters,
)

APP = """
import os
from runtime import App

app = App(app_name="env")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def show(event):
    return os.environ.get(event.body, "(unset)")
"""

TOML = """
merge_template = "resources.yaml"

[environment]
GREETING = "hello"
DEBUG = "1"
TABLE = { Ref = "Table" }
TOPIC = { Ref = "Topic" }

[stages.local.environment]
GREETING = "hello, local"
"""

RESOURCES = """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Topic:
    Type: AWS::SNS::Topic
"""
TOPIC_NOTICE = (
    'wsgen local: TOPIC is { Ref = "Topic" } in wsgen.toml, which exists only once '
    "deployed; export TOPIC=... to give handlers a value"
)


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none" / "config"))


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "wsgen.toml").write_text(TOML)
    (tmp_path / "resources.yaml").write_text(RESOURCES)
    return tmp_path


def test_environment_changes_put_back_what_was_there(monkeypatch):
    monkeypatch.setenv("WSGEN_T_HAD", "before")
    monkeypatch.setenv("WSGEN_T_KEPT", "the user's")
    monkeypatch.delenv("WSGEN_T_NEW", raising=False)
    before = dict(os.environ)
    changes = EnvironmentChanges()
    changes.set("WSGEN_T_HAD", "first")
    changes.set("WSGEN_T_HAD", "second")  # what was there before the first change comes back
    changes.set("WSGEN_T_NEW", "new")
    changes.set_default("WSGEN_T_KEPT", "ignored")  # set already: left alone
    assert (os.environ["WSGEN_T_HAD"], os.environ["WSGEN_T_NEW"]) == ("second", "new")
    assert os.environ["WSGEN_T_KEPT"] == "the user's"
    assert sorted(changes.names()) == ["WSGEN_T_HAD", "WSGEN_T_NEW"]
    changes.restore()
    assert dict(os.environ) == before
    changes.restore()  # a second call changes nothing
    assert dict(os.environ) == before


def test_environment_changes_leave_what_changed_since(monkeypatch):
    for name in ("WSGEN_T_CHANGED", "WSGEN_T_REMOVED", "WSGEN_T_GONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WSGEN_T_HAD", "before")
    changes = EnvironmentChanges()
    for name in ("WSGEN_T_CHANGED", "WSGEN_T_REMOVED", "WSGEN_T_GONE", "WSGEN_T_HAD"):
        changes.set(name, "set")
    os.environ["WSGEN_T_CHANGED"] = "changed since"
    del os.environ["WSGEN_T_REMOVED"]  # removed from outside: stays removed
    changes.remove("WSGEN_T_GONE")  # removed by the owner: still its own
    assert not changes.owns("WSGEN_T_CHANGED") and changes.owns("WSGEN_T_GONE")
    assert changes.names() == ["WSGEN_T_GONE", "WSGEN_T_HAD"]
    os.environ["WSGEN_T_GONE"] = "set again from outside"
    changes.restore()
    assert os.environ["WSGEN_T_CHANGED"] == "changed since"
    assert "WSGEN_T_REMOVED" not in os.environ
    assert os.environ["WSGEN_T_GONE"] == "set again from outside"
    assert os.environ["WSGEN_T_HAD"] == "before"


@pytest.mark.parametrize("order", ["start order", "reverse order"])
def test_owners_restored_in_either_order_put_back_what_was_there(monkeypatch, order):
    """Two owners of one name (two emulators): while one is left it keeps its value, the one
    it set or the one it found and needs (`set_default`); then what was there before."""
    monkeypatch.delenv("WSGEN_T_ENDPOINT", raising=False)
    monkeypatch.delenv("WSGEN_T_REGION", raising=False)
    monkeypatch.setenv("WSGEN_T_HAD", "before")
    before = dict(os.environ)
    first, second = EnvironmentChanges(), EnvironmentChanges()
    for changes, value in ((first, "a"), (second, "b")):
        changes.set("WSGEN_T_ENDPOINT", value)
        changes.set("WSGEN_T_HAD", value)
        changes.set_default("WSGEN_T_REGION", f"region of {value}")
    assert os.environ["WSGEN_T_ENDPOINT"] == "b"
    assert os.environ["WSGEN_T_REGION"] == "region of a"  # the second found it set
    gone, left = (first, second) if order == "start order" else (second, first)
    gone.restore()
    kept = "b" if left is second else "a"
    assert (os.environ["WSGEN_T_ENDPOINT"], os.environ["WSGEN_T_HAD"]) == (kept, kept)
    assert os.environ["WSGEN_T_REGION"] == "region of a"
    assert left.owns("WSGEN_T_ENDPOINT") and left.owns("WSGEN_T_REGION")
    left.restore()
    assert dict(os.environ) == before


def test_a_name_changed_from_outside_between_two_owners_is_kept(monkeypatch):
    monkeypatch.delenv("WSGEN_T_ENDPOINT", raising=False)
    first, second = EnvironmentChanges(), EnvironmentChanges()
    first.set("WSGEN_T_ENDPOINT", "a")
    os.environ["WSGEN_T_ENDPOINT"] = "the user's"
    second.set("WSGEN_T_ENDPOINT", "b")
    first.restore()
    assert os.environ["WSGEN_T_ENDPOINT"] == "b"
    second.restore()
    assert os.environ["WSGEN_T_ENDPOINT"] == "the user's"


def test_wsgen_toml_applied_again_then_put_back(monkeypatch, app_dir):
    """As a reload applies it: an edited value replaces the one applied, a name gone from
    wsgen.toml goes, one changed from outside meanwhile is the user's; restore() then leaves
    the environment as before the first application."""
    for name in ("GREETING", "DEBUG", "TABLE", "TOPIC"):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    changes = EnvironmentChanges()
    apply_app_environment(app_dir, "local", {"Table": "Table-1a2b"}, changes=changes)
    assert (os.environ["DEBUG"], os.environ["TABLE"]) == ("1", "Table-1a2b")
    os.environ["TABLE"] = "the user's"
    (app_dir / "wsgen.toml").write_text('[environment]\nGREETING = "edited"\nTABLE = "t"\n')
    apply_app_environment(app_dir, "local", changes=changes)
    assert (os.environ["GREETING"], os.environ["TABLE"]) == ("edited", "the user's")
    assert "DEBUG" not in os.environ
    changes.restore()
    assert dict(os.environ) == {**before, "TABLE": "the user's"}


def test_dummy_credentials_only_when_the_user_has_none(no_credentials):
    assert not has_credentials()
    prepare_environment("http://127.0.0.1:1/local", EnvironmentChanges())
    assert os.environ["AWS_ACCESS_KEY_ID"] == "wsgen-local"
    assert os.environ["WSGEN_WEBSOCKET_ENDPOINT"] == "http://127.0.0.1:1/local"


@pytest.mark.parametrize("how", ["profile", "credentials file"])
def test_the_users_own_credentials_stay_in_force(no_credentials, monkeypatch, tmp_path, how):
    if how == "profile":
        monkeypatch.setenv("AWS_PROFILE", "dev")
    else:
        credentials = tmp_path / "credentials"
        credentials.write_text("[default]\naws_access_key_id = AKIA...\n")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert has_credentials()
    prepare_environment("http://127.0.0.1:1/local", EnvironmentChanges())
    assert "AWS_ACCESS_KEY_ID" not in os.environ


@pytest.mark.parametrize(
    ("config", "own"),
    [
        ("[default]\nregion = eu-west-1\n", False),  # a region is not credentials
        ("[profile other]\naws_access_key_id = AKIA\n", False),  # not the default profile
        ("[default]\nregion = eu-west-1\nsso_session = corp\n", True),
        ("[default]\ncredential_process = /bin/creds\n", True),
        ("[profile default]\naws_access_key_id = AKIA\n", True),  # the default's other name
        ("[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = x\n", True),
        ("not an ini file", False),
    ],
)
def test_a_config_file_counts_only_with_credentials_in_it(
    no_credentials, monkeypatch, tmp_path, config, own
):
    path = tmp_path / "config"
    path.write_text(config)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    assert has_credentials() is own
    prepare_environment("http://127.0.0.1:1/local", EnvironmentChanges())
    assert (os.environ.get("AWS_ACCESS_KEY_ID") == "wsgen-local") is not own


def test_region_only_config_still_lets_handlers_send(no_credentials, monkeypatch, tmp_path):
    import boto3

    (tmp_path / "config").write_text("[default]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask the network
    prepare_environment("http://127.0.0.1:1/local", EnvironmentChanges())
    assert boto3.Session().get_credentials() is not None  # was NoCredentialsError on send()


def test_wsgen_toml_environment_for_the_stage(monkeypatch, app_dir):
    for name in ("GREETING", "DEBUG", "TABLE", "TOPIC"):
        monkeypatch.delenv(name, raising=False)
    notices = apply_app_environment(app_dir, "local", changes=EnvironmentChanges())
    assert os.environ["GREETING"] == "hello, local"
    assert os.environ["DEBUG"] == "1"
    assert "TABLE" not in os.environ
    assert notices == [
        'wsgen local: TABLE is { Ref = "Table" } in wsgen.toml, which exists only once '
        "deployed; export TABLE=... to give handlers a value (--dynamodb makes the app's "
        "tables locally)",
        TOPIC_NOTICE,  # no table: --dynamodb would not make it
    ]


def test_a_ref_of_a_table_made_locally_is_its_local_name(monkeypatch, app_dir):
    monkeypatch.delenv("TABLE", raising=False)
    notices = apply_app_environment(
        app_dir, "local", {"Table": "Table-1a2b"}, changes=EnvironmentChanges()
    )
    assert os.environ.pop("TABLE") == "Table-1a2b"
    assert notices == [TOPIC_NOTICE]  # --dynamodb is on: no word of it


def test_pseudo_parameters_are_the_handlers_region_and_account(monkeypatch, tmp_path):
    (tmp_path / "wsgen.toml").write_text(
        '[environment]\nREGION = { Ref = "AWS::Region" }\nACCOUNT = { Ref = "AWS::AccountId" }\n'
        'PARTITION = { Ref = "AWS::Partition" }\nSTACK = { Ref = "AWS::StackName" }\n'
    )
    for name in ("REGION", "ACCOUNT", "PARTITION", "STACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    notices = apply_app_environment(tmp_path, "local", changes=EnvironmentChanges())
    assert (os.environ["REGION"], os.environ["PARTITION"]) == ("cn-north-1", "aws-cn")
    assert os.environ["ACCOUNT"] == "123456789012"  # the account of local events
    assert "STACK" not in os.environ  # no stack locally: the notice says to export it
    assert [n.split(" is ")[0] for n in notices] == ["wsgen local: STACK"]


@pytest.mark.parametrize(
    ("variables", "region"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-north-1"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "eu-north-1"}, "eu-north-1"),
        ({}, "us-east-1"),
    ],
)
def test_the_region_is_the_runtimes_whether_prepared_or_not(
    monkeypatch, tmp_path, variables, region
):
    """`prepare_environment` and `apply_app_environment` read the region as the runtime does
    (`runtime.aws.environment_region()`), so `AWS::Region` is the region handlers' calls use."""
    (tmp_path / "wsgen.toml").write_text('[environment]\nREGION = { Ref = "AWS::Region" }\n')
    for name in ("REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    apply_app_environment(tmp_path, "local", changes=EnvironmentChanges())
    assert os.environ["REGION"] == region
    changes = EnvironmentChanges()
    try:
        assert prepare_environment("http://127.0.0.1:1", changes) == region
        assert os.environ["AWS_REGION"] == region
    finally:
        changes.restore()


def test_the_url_suffix_is_the_region_s_partition_s():
    assert pseudo_parameters("cn-north-1")["AWS::URLSuffix"] == "amazonaws.com.cn"
    assert pseudo_parameters("us-gov-west-1")["AWS::URLSuffix"] == "amazonaws.com"


def test_the_real_environment_wins(monkeypatch, app_dir):
    monkeypatch.setenv("GREETING", "from the shell")
    apply_app_environment(app_dir, "local", changes=EnvironmentChanges())
    assert os.environ["GREETING"] == "from the shell"


def test_a_malformed_wsgen_toml_is_a_config_error(tmp_path):
    (tmp_path / "wsgen.toml").write_text("environment = [")
    with pytest.raises(ConfigError, match=r"wsgen\.toml"):
        apply_app_environment(tmp_path, "local", changes=EnvironmentChanges())


def test_handlers_see_the_settings_under_the_emulator(monkeypatch, app_dir):
    monkeypatch.delenv("GREETING", raising=False)
    with running(app_dir, "app:app", port=0, log=EventLog(quiet=True)) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send("GREETING")
                return await ws.recv()

        assert run(body) == "hello, local"


def _profiles(monkeypatch, tmp_path, config: str = "", credentials: str = "") -> None:
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))


@pytest.mark.parametrize(
    ("name", "config", "credentials"),
    [
        ("dev", "[profile dev]\nregion = eu-west-1\n", ""),
        ("dev", "", "[dev]\naws_access_key_id = x\n"),
        ("default", "[default]\nregion = eu-west-1\n", ""),
        (None, "", ""),
    ],
)
def test_a_profile_either_shared_file_has_is_accepted(
    monkeypatch, tmp_path, name, config, credentials
):
    _profiles(monkeypatch, tmp_path, config, credentials)
    if name is None:
        monkeypatch.delenv("AWS_PROFILE", raising=False)
    else:
        monkeypatch.setenv("AWS_PROFILE", name)
    check_profile()  # raises nothing


def test_a_profile_no_shared_file_has_is_refused_before_wsgen_local_starts(
    monkeypatch, tmp_path, capsys
):
    # `[dev]` in the config file is no profile: there it must be `[profile dev]`.
    _profiles(monkeypatch, tmp_path, "[dev]\nregion = eu-west-1\n", "[other]\n")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    with pytest.raises(ConfigError) as refused:
        check_profile()
    assert str(refused.value) == (
        f"AWS_PROFILE=dev names no profile in {tmp_path / 'config'} or "
        f"{tmp_path / 'credentials'}; unset AWS_PROFILE, or create the profile "
        "(aws configure --profile dev)"
    )
    # wsgen local says so before it listens (no socket) or loads the app, after a missing app.
    assert main(["local", "--app-dir", str(tmp_path), "--port", "0"]) == 1
    assert capsys.readouterr().err.startswith("error: no app.py in ")
    (tmp_path / "app.py").write_text("raise SystemExit('never imported')\n")
    assert main(["local", "--app-dir", str(tmp_path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {refused.value}\n"


def test_a_ref_naming_no_resource_is_refused_as_wsgen_template_refuses_it(
    monkeypatch, app_dir, capsys
):
    """The same one line from the same check (`wsgen.template.references`), at start and at
    a reload (a line in the log; the previous app serves on)."""
    (app_dir / "wsgen.toml").write_text(TOML.replace('{ Ref = "Topic" }', '{ Ref = "Topik" }'))
    assert main(["template", "--app-dir", str(app_dir), "--runtime", "python3.12"]) == 1
    refused = capsys.readouterr().err
    assert refused == (
        "error: wsgen.toml: 'environment.TOPIC' uses Ref 'Topik', which is no resource or "
        "parameter of the template; did you mean 'Topic'?\n"
    )
    with (
        pytest.raises(ConfigError) as failed,
        running(app_dir, "app:app", log=EventLog(quiet=True)),
    ):
        pass  # (not main(["local", ...]): were it accepted, it would serve until stopped)
    assert f"error: {failed.value}\n" == refused  # what wsgen local prints
    lines: list[str] = []
    log = EventLog(quiet=True)
    log.error = lines.append  # type: ignore[method-assign]
    (app_dir / "wsgen.toml").write_text(TOML)
    with running(app_dir, "app:app", log=log, reload=True, reload_interval=0.05):
        (app_dir / "wsgen.toml").write_text(TOML.replace('{ Ref = "Topic" }', '{ Ref = "Topik" }'))

        async def logged() -> str:
            while not lines:
                await asyncio.sleep(0.05)
            return lines[0]

        assert run(logged, timeout=10).endswith(
            "  (reload)     reload failed, still serving the previous app: "
            + refused[len("error: ") : -1]
        )
