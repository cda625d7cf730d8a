from wsgen.gateway.context import INTEGRATION_TIMEOUT_MS, LambdaContext
from wsgen.gateway.events import ACCOUNT_ID, Api
from wsgen.testing import LambdaContext as ClientContext


def test_one_context_for_the_emulator_and_the_test_client():
    local = LambdaContext("chat", "eu-west-1")
    testing = ClientContext("chat", Api("wsgentest0", "eu-west-1", "test"))
    for context in (local, testing):
        assert isinstance(context, LambdaContext)
        assert context.invoked_function_arn == (
            f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:chat"
        )
        assert 0 < context.get_remaining_time_in_millis() <= INTEGRATION_TIMEOUT_MS
    assert testing.log_stream_name == "wsgen-testing"
