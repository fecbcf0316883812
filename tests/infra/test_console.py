"""The console in AWS: a private bucket read only by its CloudFront distribution (origin access
control), HTTPS only, security headers with a CSP naming the API; the files are console/ with its
config and the state machines' graphs; and the API answers browsers from that origin only."""

from __future__ import annotations

import json
from typing import Any

from shared import topology
from tests.infra.synth import Synthesized


def _one(synth: Synthesized, kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = synth.resources(kind).items()
    return found[0], found[1]["Properties"]


def _distribution(synth: Synthesized) -> str:
    return _one(synth, "AWS::CloudFront::Distribution")[0]


def _console_origin(synth: Synthesized) -> dict[str, Any]:
    return {"Fn::Join": ["", ["'https://", {"Fn::GetAtt": [_distribution(synth), "DomainName"]}, "'"]]}


def test_the_files_are_in_a_private_bucket_only_cloudfront_reads(synth: Synthesized) -> None:
    lid, config = _one(synth, "AWS::CloudFront::Distribution")
    config = config["DistributionConfig"]
    (origin,) = config["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"
    assert config["DefaultCacheBehavior"]["AllowedMethods"] == ["GET", "HEAD"]
    bucket = origin["DomainName"]["Fn::GetAtt"][0]
    props = synth.template["Resources"][bucket]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "WebsiteConfiguration" not in props
    (policy,) = [
        p for p in synth.resources("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    allowed = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allowed] == [{"Service": "cloudfront.amazonaws.com"}]
    assert lid in json.dumps(allowed[0]["Condition"])  # this distribution only


def test_the_security_headers_include_a_csp_that_names_the_api(synth: Synthesized) -> None:
    _, props = _one(synth, "AWS::CloudFront::ResponseHeadersPolicy")
    security = props["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "default-src 'none'; script-src 'self'; style-src 'self'" in csp
    assert "connect-src 'self' https://" in csp
    assert '{"Ref": "ApiRestApi' in csp  # the API's own origin, and no other
    assert "frame-ancestors 'none'" in csp
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"]["FrameOption"] == "DENY"


def test_the_deployment_ships_the_console_its_config_and_every_graph(synth: Synthesized) -> None:
    _, props = _one(synth, "Custom::CDKBucketDeployment")
    # console/ itself, config.json and one graph per state machine
    assert len(props["SourceObjectKeys"]) == 2 + len(topology.STATE_MACHINES)
    markers = json.dumps(props.get("SourceMarkers", []))
    assert "execute-api" in markers  # config.json names the API's base URL
    assert props["DistributionPaths"] == ["/*"]


def test_the_api_answers_browsers_from_the_console_origin_only(synth: Synthesized) -> None:
    origin = _console_origin(synth)
    methods = synth.resources("AWS::ApiGateway::Method").values()
    routed = {m["Properties"]["ResourceId"]["Ref"] for m in methods if m["Properties"]["HttpMethod"] != "OPTIONS"}
    preflight = {
        m["Properties"]["ResourceId"]["Ref"]: m["Properties"]["Integration"]
        for m in methods
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    }
    assert set(preflight) == routed
    for integration in preflight.values():
        (answer,) = integration["IntegrationResponses"]
        headers = answer["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == origin
        assert "Authorization" in headers["method.response.header.Access-Control-Allow-Headers"]
    for response in synth.resources("AWS::ApiGateway::GatewayResponse").values():
        assert (
            response["Properties"]["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == origin
        )


def test_every_api_function_knows_the_console_origin(synth: Synthesized) -> None:
    origin = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [_distribution(synth), "DomainName"]}]]}
    functions = {
        r["Metadata"]["waybill:function"]: r["Properties"]
        for r in synth.resources("AWS::Lambda::Function").values()
        if "waybill:function" in r.get("Metadata", {})
    }
    routed = [fn.name for fn in topology.FUNCTIONS if fn.routes]
    assert routed
    for name in routed:
        assert functions[name]["Environment"]["Variables"][topology.BROWSER_ORIGIN_ENV] == origin, name
