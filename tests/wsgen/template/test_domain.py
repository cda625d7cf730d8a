"""A custom domain: regional name with TLS 1.2, its mapping, DNS record and output URL."""

from __future__ import annotations

from runtime.spec import AppSpec
from tests.support.templates import ROUTES, build, of_type, ref

SPEC = AppSpec("chat", ROUTES)
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"


def test_domain_name_is_regional_with_tls_1_2_and_mapped_to_the_stage() -> None:
    template = build(SPEC, domain={"name": "ws.example.com", "certificate_arn": CERT})
    [(name, domain)] = of_type(template, "AWS::ApiGatewayV2::DomainName").items()
    assert domain == {
        "DomainName": "ws.example.com",
        "DomainNameConfigurations": [
            {"CertificateArn": CERT, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
        ],
    }
    [mapping] = of_type(template, "AWS::ApiGatewayV2::ApiMapping").values()
    assert (ref(mapping["ApiId"]), ref(mapping["DomainName"])) == ("WebsocketAPI", name)
    assert ref(mapping["Stage"]) == "WebsocketAPIStage"  # also makes it wait for the stage
    assert "ApiMappingKey" not in mapping
    outputs = template["Outputs"]
    assert outputs["WebsocketCustomDomainURL"]["Value"] == "wss://ws.example.com"
    assert outputs["WebsocketDomainTarget"]["Value"] == {"Fn::GetAtt": [name, "RegionalDomainName"]}
    assert not of_type(template, "AWS::Route53::RecordSet")


def test_base_path_and_hosted_zone() -> None:
    domain = {
        "name": "ws.example.com",
        "certificate_arn": CERT,
        "base_path": "chat",
        "hosted_zone_id": "Z0123456789ABC",
    }
    template = build(SPEC, domain=domain)
    [mapping] = of_type(template, "AWS::ApiGatewayV2::ApiMapping").values()
    assert mapping["ApiMappingKey"] == "chat"
    assert template["Outputs"]["WebsocketCustomDomainURL"]["Value"] == "wss://ws.example.com/chat"
    [record] = of_type(template, "AWS::Route53::RecordSet").values()
    assert (record["HostedZoneId"], record["Name"], record["Type"]) == (
        "Z0123456789ABC",
        "ws.example.com",
        "A",
    )
    assert record["AliasTarget"]["HostedZoneId"] == {
        "Fn::GetAtt": ["WebsocketApiCustomDomain", "RegionalHostedZoneId"]
    }


def test_the_management_endpoint_stays_execute_api() -> None:
    template = build(SPEC, domain={"name": "ws.example.com", "certificate_arn": CERT})
    variables = template["Resources"]["WebsocketHandler"]["Properties"]["Environment"]["Variables"]
    assert "execute-api" in variables["WSGEN_WEBSOCKET_ENDPOINT"]["Fn::Sub"]
