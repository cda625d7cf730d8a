"""Identity sources, IAM policy evaluation and the authorizer's verdict, as API Gateway's."""

from __future__ import annotations

import pytest

from runtime import AuthResponse, UnauthorizedError
from wsgen.gateway.authorizer import (
    allows,
    error_verdict,
    missing_identity_source,
    missing_source_verdict,
    verdict,
)
from wsgen.gateway.events import UpgradeRequest

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc/dev/$connect"
CONTEXT = {"identity": {"sourceIp": "203.0.113.1"}, "requestId": "r"}


def _missing(sources, headers=(), query=(), stage_variables=None):
    request = UpgradeRequest(list(headers), list(query))
    return missing_identity_source(tuple(sources), request, stage_variables or {}, CONTEXT)


def test_headers_match_in_any_case_and_query_parameters_exactly():
    assert _missing(["route.request.header.Authorization"], [("authorization", "x")]) is None
    assert _missing(["route.request.querystring.token"], query=[("Token", "x")]) == (
        "route.request.querystring.token"
    )


@pytest.mark.parametrize(
    ("query", "missing"),
    [([], True), ([("t", "")], True), ([("t", "x")], False), ([("t", "x"), ("t", "")], True)],
)
def test_an_empty_or_absent_source_is_missing_by_its_last_value(query, missing):
    result = _missing(["route.request.querystring.t"], query=query)
    assert (result is not None) == missing


def test_stage_variable_and_context_sources():
    sources = ["stageVariables.env", "context.identity.sourceIp"]
    assert _missing(sources, stage_variables={"env": "dev"}) is None
    assert _missing(sources) == "stageVariables.env"
    assert _missing(["context.identity.userAgent"]) == "context.identity.userAgent"


def test_missing_source_is_401_before_the_authorizer_runs():
    refusal = missing_source_verdict("route.request.header.Authorization")
    assert (refusal.status, refusal.body) == (401, b'{"message":"Unauthorized"}')
    assert "route.request.header.Authorization" in refusal.reason


def test_unauthorized_error_is_401_and_any_other_500():
    assert error_verdict(UnauthorizedError()).status == 401
    assert error_verdict(Exception("Unauthorized")).status == 401
    crash = error_verdict(RuntimeError("bug"))
    assert (crash.status, crash.message) == (500, "Internal server error")
    assert "RuntimeError: bug" in crash.reason


def test_allow_stringifies_context_and_keeps_principal_id_first():
    output = AuthResponse.allow("ada", {"role": "admin", "level": 3, "beta": True, "x": 1.5})
    allowed = verdict(output.to_policy(ARN), ARN, 7)
    assert allowed.accepted
    assert allowed.authorizer == {
        "principalId": "ada",
        "integrationLatency": 7,
        "role": "admin",
        "level": "3",
        "beta": "true",
        "x": "1.5",
    }
    assert list(allowed.authorizer)[:2] == ["principalId", "integrationLatency"]


def test_context_cannot_override_principal_id():
    output = {
        "principalId": "p",
        "policyDocument": _policy("Allow"),
        "context": {"principalId": "q"},
    }
    assert verdict(output, ARN, 0).authorizer["principalId"] == "p"


def test_deny_is_403():
    refusal = verdict(AuthResponse.deny().to_policy(ARN), ARN, 0)
    assert (refusal.status, refusal.message, refusal.authorizer) == (403, "Forbidden", None)


@pytest.mark.parametrize(
    "output",
    [
        "yes please",
        None,
        {"policyDocument": {}},
        {"principalId": 7, "policyDocument": {}},
        {"principalId": "p"},
        {"principalId": "p", "policyDocument": "Allow"},
        {"principalId": "p", "policyDocument": {}, "context": {"a": {"b": 1}}},
        {"principalId": "p", "policyDocument": {}, "context": ["a"]},
    ],
)
def test_malformed_output_is_500(output):
    assert verdict(output, ARN, 0).status == 500


def _policy(effect, action="execute-api:Invoke", resource=ARN):
    return {"Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (_policy("Allow"), True),
        (_policy("Allow", action="EXECUTE-API:invoke"), True),  # actions: any case
        (_policy("Allow", action="execute-api:*"), True),
        (_policy("Allow", action=["s3:GetObject", "execute-api:Inv?ke"]), True),
        (_policy("Allow", resource="arn:aws:execute-api:*:*:abc/*"), True),
        (_policy("Allow", resource=ARN.upper()), False),  # resources: case-sensitive
        (
            _policy("Allow", resource="arn:aws:execute-api:us-east-1:123456789012:abc/[d]ev/*"),
            False,
        ),
        (_policy("Allow", resource="arn:aws:execute-api:us-east-1:123456789012:other/*"), False),
        (_policy("Allow", action="execute-api:ManageConnections"), False),
        (_policy("Deny"), False),
        ({"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ARN}}, True),
        ({"Statement": _policy("Allow")["Statement"] + _policy("Deny")["Statement"]}, False),
        ({"Statement": ["junk", *_policy("Allow")["Statement"]]}, True),
        ({}, False),
        ("Allow", False),
    ],
)
def test_policy_evaluation(policy, allowed):
    assert allows(policy, ARN) is allowed


def test_prepare_refuses_before_the_authorizer_runs_and_conclude_reads_the_outcome():
    from wsgen.gateway.authorizer import conclude, prepare
    from wsgen.gateway.events import Api, Peer

    api = Api("abc", "us-east-1", "dev")
    peer = Peer("Xq4mT2rLpNcFa8w=", 0, "203.0.113.1", api.domain_name)
    sources = ("route.request.querystring.token",)
    event, refusal = prepare(api, peer, UpgradeRequest([]), sources)
    assert event["type"] == "REQUEST" and refusal is not None and refusal.status == 401
    event, refusal = prepare(api, peer, UpgradeRequest([], [("token", "t")]), sources)
    assert refusal is None and event["methodArn"] == ARN
    allowed = conclude(AuthResponse.allow("p").to_policy(ARN), None, ARN, 1)
    assert allowed.accepted and allowed.authorizer is not None
    assert conclude(None, UnauthorizedError(), ARN, 1).status == 401


def test_an_authorizer_result_over_8_kb_is_500():
    big = AuthResponse.allow("ada", {"blob": "x" * 8200}).to_policy(ARN)
    refused = verdict(big, ARN, 1)
    assert (refused.status, refused.accepted) == (500, False)
    assert "over API Gateway's 8 KB" in refused.reason
    fits = AuthResponse.allow("ada", {"blob": "x" * 7000}).to_policy(ARN)
    assert verdict(fits, ARN, 1).accepted
