"""`$connect` authorizers: registration, the policy output, and bad results."""

from __future__ import annotations

import pytest

from runtime import (
    App,
    AuthResponse,
    ConflictingAuthorizationError,
    IAMAuthorizer,
    InvalidRouteError,
    NoAuthorizerError,
    UnauthorizedError,
)
from runtime.exceptions import InvalidAuthorizerResultError
from tests.support.builders import new_app


def app_with(authorizer) -> App:
    app = new_app("auth")
    app.ws_authorizer(identity_sources=["route.request.querystring.token"])(authorizer)
    return app


def test_allow_builds_the_policy_api_gateway_expects(load_event):
    raw = load_event("authorizer_request.json")

    def authorize(event):
        assert event.query_params["token"] == "s3cr3t"
        return AuthResponse.allow("ada", {"room": "lobby", "admin": False, "level": 3})

    assert app_with(authorize)(raw, None) == {
        "principalId": "ada",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": raw["methodArn"]}
            ],
        },
        "context": {"room": "lobby", "admin": False, "level": 3},
    }


def test_deny_builds_a_deny_policy(load_event):
    result = app_with(lambda e: AuthResponse.deny())(load_event("authorizer_request.json"), None)
    assert result["principalId"] == "anonymous"
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in result


def test_a_prebuilt_policy_passes_through(load_event):
    policy = {"principalId": "x", "policyDocument": {"Statement": []}}
    assert app_with(lambda e: policy)(load_event("authorizer_request.json"), None) is policy


def test_unauthorized_error_message_is_exactly_unauthorized(load_event):
    def authorize(event):
        raise UnauthorizedError()

    with pytest.raises(UnauthorizedError) as caught:
        app_with(authorize)(load_event("authorizer_request.json"), None)
    assert str(caught.value) == "Unauthorized"


def test_a_401_is_logged_at_info_other_authorizer_failures_at_error(load_event, caplog):
    import logging

    def refuse(event):
        raise UnauthorizedError()

    def fail(event):
        raise RuntimeError("database down")

    with caplog.at_level(logging.INFO, logger="runtime"):
        for authorizer, error in ((refuse, UnauthorizedError), (fail, RuntimeError)):
            with pytest.raises(error):
                app_with(authorizer)(load_event("authorizer_request.json"), None)
    assert [(r.levelno, r.getMessage().split(": ", 1)[1]) for r in caplog.records] == [
        (logging.INFO, "UnauthorizedError: Unauthorized"),
        (logging.ERROR, "RuntimeError: database down"),
    ]


@pytest.mark.parametrize("returned", [None, True, "allow", {"principalId": "x"}])
def test_neither_allow_nor_deny_is_a_clear_error(load_event, returned):
    with pytest.raises(InvalidAuthorizerResultError, match=r"return AuthResponse\.allow"):
        app_with(lambda e: returned)(load_event("authorizer_request.json"), None)


def test_context_values_must_be_primitive():
    with pytest.raises(TypeError, match="context value 'user' is a dict"):
        AuthResponse.allow("ada", {"user": {"id": 1}})


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([], "needs a list"),
        ("route.request.header.Auth", "needs a list"),
        (["header.Auth"], "must start with"),
        (["route.request.querystring."], "names no"),
    ],
)
def test_identity_sources_are_validated(sources, message):
    with pytest.raises(ValueError, match=message):
        App(app_name="a").ws_authorizer(identity_sources=sources)


def test_second_authorizer_is_refused():
    app = app_with(lambda e: None)
    with pytest.raises(ValueError, match="second authorizer"):
        app.ws_authorizer(identity_sources=["route.request.header.Auth"])(lambda e: None)


def test_authorizer_event_without_authorizer_says_so(load_event):
    app = App(app_name="a")
    with pytest.raises(NoAuthorizerError, match=r"without @app\.ws_authorizer"):
        app(load_event("authorizer_request.json"), None)


def test_iam_and_a_key_on_connect_are_in_the_spec_as_chalice_spells_them():
    app = App("gated")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_connect(authorizer=IAMAuthorizer(), api_key_required=True)(lambda event: None)
    spec = app.spec()
    assert (spec.iam_authorization, spec.api_key_required, spec.authorizer) == (True, True, None)
    plain = App("plain")
    plain.experimental_feature_flags.update(["WEBSOCKETS"])
    plain.on_ws_connect()(lambda event: None)
    assert (plain.spec().iam_authorization, plain.spec().api_key_required) == (False, False)


@pytest.mark.parametrize("iam_first", [True, False])
def test_iam_and_a_lambda_authorizer_on_connect_are_refused_in_either_order(iam_first):
    app = App("both")

    def iam():
        app.on_ws_connect(authorizer=IAMAuthorizer())(lambda event: None)

    def custom():
        app.ws_authorizer(["route.request.header.Authorization"])(lambda event: None)

    first, second = (iam, custom) if iam_first else (custom, iam)
    first()
    with pytest.raises(ConflictingAuthorizationError) as caught:
        second()
    message = str(caught.value)
    assert "\n" not in message and "one authorization type" in message and "keep one" in message
    assert isinstance(caught.value, ValueError)


def test_a_key_may_go_with_a_lambda_authorizer():
    app = App("keyed")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.ws_authorizer(["route.request.header.Authorization"])(lambda event: None)
    app.on_ws_connect(api_key_required=True)(lambda event: None)
    assert app.spec().api_key_required and app.spec().authorizer is not None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"authorizer": "AWS_IAM"}, "authorizer must be IAMAuthorizer(), not 'AWS_IAM'"),
        ({"api_key_required": "yes"}, "api_key_required must be True or False"),
    ],
)
def test_connect_options_of_the_wrong_kind_are_refused(options, message):
    with pytest.raises(InvalidRouteError) as caught:
        App("x").on_ws_connect(**options)
    assert message in str(caught.value)
