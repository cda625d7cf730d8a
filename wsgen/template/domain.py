"""A custom domain for the API: the domain name, its mapping to the stage, its DNS record.

https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-custom-domain-names.html
The functions keep calling the execute-api endpoint (`WSGEN_WEBSOCKET_ENDPOINT`): it works
whatever the mapping, while `https://{domain}/{base path}` depends on it.
"""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Template
from troposphere.apigatewayv2 import Api, ApiMapping, DomainName, DomainNameConfiguration, Stage
from troposphere.route53 import AliasTarget, RecordSetType

from ..settings import DomainSettings
from .names import logical_id


def add_domain(t: Template, api: Api, stage: Stage, domain: DomainSettings) -> DomainName:
    """A regional domain name (TLS 1.2) mapped to the stage, at `base_path` if given.

    With `hosted_zone_id`, an alias A record in that Route 53 zone points the name at it.
    """
    name = t.add_resource(
        DomainName(
            logical_id("ApiCustomDomain"),  # Chalice's id, as the mapping's
            DomainName=domain.name,
            DomainNameConfigurations=[
                DomainNameConfiguration(
                    CertificateArn=domain.certificate_arn,
                    EndpointType="REGIONAL",
                    SecurityPolicy="TLS_1_2",
                )
            ],
        )
    )
    base_path = domain.base_path
    t.add_resource(
        ApiMapping(
            logical_id("ApiCustomDomainMapping"),
            ApiId=Ref(api),
            DomainName=Ref(name),
            Stage=Ref(stage),  # the stage's name; the Ref also makes the mapping wait for it
            **({"ApiMappingKey": base_path} if base_path else {}),
        )
    )
    if domain.hosted_zone_id is not None:
        t.add_resource(
            RecordSetType(
                logical_id("DomainRecord"),
                HostedZoneId=domain.hosted_zone_id,
                Name=domain.name,
                Type="A",
                AliasTarget=AliasTarget(
                    DNSName=GetAtt(name, "RegionalDomainName"),
                    HostedZoneId=GetAtt(name, "RegionalHostedZoneId"),
                    EvaluateTargetHealth=False,
                ),
            )
        )
    url = f"wss://{domain.name}" + (f"/{base_path}" if base_path else "")
    t.add_output(
        [
            Output(
                "WebsocketCustomDomainURL",
                Description="The URL clients connect to through the custom domain",
                Value=url,
            ),
            Output(
                "WebsocketDomainTarget",
                Description="Where the domain's DNS record (CNAME or alias) must point",
                Value=GetAtt(name, "RegionalDomainName"),
            ),
        ]
    )
    return name
