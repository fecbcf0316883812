"""An execution links to the AWS console only when it ran in AWS."""

from shared.links import console_url

ARN = "arn:aws:states:eu-west-1:{account}:execution:waybill-fulfilment:ord_1"


def test_an_execution_in_an_aws_account_links_to_its_console_page():
    arn = ARN.format(account="210987654321")
    url = console_url(arn)
    assert url is not None
    assert url.startswith("https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#")
    assert url.endswith(arn)


def test_an_emulators_execution_has_no_console_link():
    assert console_url(ARN.format(account="123456789012")) is None
